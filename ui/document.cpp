#include "document.h"

#include <QFileInfo>
#include <QImageReader>
#include <QImageWriter>
#include <QSaveFile>
#include <QUndoStack>
#include <algorithm>
#include <cstring>

#include "layer_commands.h"
#include "png_files.h"

namespace bd::ui {

namespace {

QImage blankScribble(const QSize& size) {
  QImage s(size, QImage::Format_RGBA8888);
  s.fill(Qt::transparent);
  return s;
}

bool fullyTransparent(const QImage& rgba) {
  for (int y = 0; y < rgba.height(); ++y) {
    const uchar* line = rgba.constScanLine(y);
    for (int x = 0; x < rgba.width(); ++x)
      if (line[4 * x + 3] != 0) return false;
  }
  return true;
}

// A mask read from a file: a transparent PNG whose colours are all grey carries the
// region in its alpha channel, anything else in its brightness.
QImage maskFromFile(const QImage& file) {
  if (!file.hasAlphaChannel() || !file.convertToFormat(QImage::Format_Grayscale8).allGray())
    return file;
  const QImage rgba = file.convertToFormat(QImage::Format_RGBA8888);
  QImage alpha(rgba.size(), QImage::Format_Grayscale8);
  bool opaque = true;
  for (int y = 0; y < rgba.height(); ++y) {
    const uchar* s = rgba.constScanLine(y);
    uchar* d = alpha.scanLine(y);
    for (int x = 0; x < rgba.width(); ++x) {
      d[x] = s[4 * x + 3];
      opaque = opaque && s[4 * x + 3] == 255;
    }
  }
  return opaque ? file : alpha;
}

const QVector<CandidateEntry> kNoCandidates;

}  // namespace

Document::Document(QObject* parent) : QObject(parent), m_undoStack(new QUndoStack(this)) {}

Document::~Document() = default;

void Document::setImage(const QImage& image, const QString& sourcePath) {
  emit documentAboutToBeReplaced();
  m_undoStack->clear();
  const bool hadJob = m_currentJob >= 0;
  if (hadJob) emit currentJobAboutToChange();
  m_jobs.clear();
  m_currentJob = -1;
  m_shownCandidate = -1;
  m_preview = QImage();
  m_image = image;
  m_mask = image.isNull() ? QImage() : blankMask(image.size());
  m_scribble = image.isNull() ? QImage() : blankScribble(image.size());
  m_scribbleEmpty = true;
  m_savedImageKey = m_image.cacheKey();
  if (hadJob) emit currentJobChanged(-1);
  if (sourcePath != m_sourcePath) {
    m_sourcePath = sourcePath;
    emit sourcePathChanged(sourcePath);
  }
  emit shownCandidateChanged(-1);
  emit historyChanged();
  emit imageChanged();
  emit maskChanged(QRect());
  emit scribbleChanged(QRect());
  updateModified();
  emit documentReplaced();
}

bool Document::isSourcePath(const QString& path) const {
  return !m_sourcePath.isEmpty() &&
         QFileInfo(path).absoluteFilePath() == QFileInfo(m_sourcePath).absoluteFilePath();
}

bool Document::isModified() const { return hasImage() && m_image.cacheKey() != m_savedImageKey; }

void Document::markSaved() {
  m_savedImageKey = m_image.cacheKey();
  updateModified();
}

void Document::markUnsaved() {
  m_savedImageKey = 0;
  updateModified();
}

void Document::updateModified() {
  const bool modified = isModified();
  if (modified == m_modified) return;
  m_modified = modified;
  emit modifiedChanged(modified);
}

// --- layers --------------------------------------------------------------------------

QImage Document::layer(Layer which) const {
  switch (which) {
    case Layer::Image:
      return m_image;
    case Layer::Mask:
      return m_mask;
    case Layer::Scribble:
      return m_scribble;
  }
  return {};
}

QImage& Document::layerRef(Layer which) {
  switch (which) {
    case Layer::Mask:
      return m_mask;
    case Layer::Scribble:
      return m_scribble;
    case Layer::Image:
      break;
  }
  return m_image;
}

QImage Document::fitLayer(Layer which, const QImage& content) const {
  QImage fitted = content;
  if (which == Layer::Mask) fitted = content.convertToFormat(QImage::Format_Grayscale8);
  if (which == Layer::Scribble) fitted = content.convertToFormat(QImage::Format_RGBA8888);
  if (fitted.size() != m_image.size())
    fitted =
        fitted.scaled(m_image.size(), Qt::IgnoreAspectRatio,
                      which == Layer::Image ? Qt::SmoothTransformation : Qt::FastTransformation);
  return fitted;
}

void Document::pushSnapshot(Layer which, const QString& text, const QImage& after) {
  m_undoStack->push(new LayerSnapshotCommand(this, which, text, layer(which), after));
}

void Document::replaceImage(const QImage& image, const QString& undoText) {
  if (image.isNull() || image.size() != m_image.size()) return;
  pushSnapshot(Layer::Image, undoText, image);
}

void Document::setMask(const QImage& mask, const QString& undoText) {
  if (m_image.isNull() || mask.isNull()) return;
  pushSnapshot(Layer::Mask, undoText, fitLayer(Layer::Mask, mask));
}

void Document::setScribble(const QImage& scribble, const QString& undoText) {
  if (m_image.isNull() || scribble.isNull()) return;
  pushSnapshot(Layer::Scribble, undoText, fitLayer(Layer::Scribble, scribble));
}

void Document::clearScribble() {
  if (m_image.isNull() || m_scribbleEmpty) return;
  pushSnapshot(Layer::Scribble, tr("Clear scribble"), blankScribble(m_image.size()));
}

void Document::invertMask() {
  if (m_mask.isNull()) return;
  QImage after = m_mask.copy();
  bd::ui::invertMask(after);
  pushSnapshot(Layer::Mask, tr("Invert mask"), after);
}

void Document::clearMask() {
  if (m_mask.isNull()) return;
  pushSnapshot(Layer::Mask, tr("Clear mask"), blankMask(m_mask.size()));
}

void Document::growMask(int px) {
  if (m_mask.isNull()) return;
  QImage after = m_mask.copy();
  bd::ui::growMask(after, px);
  pushSnapshot(Layer::Mask, px >= 0 ? tr("Grow mask") : tr("Shrink mask"), after);
}

void Document::fillRect(const QRect& imageRect, bool erase) {
  if (m_mask.isNull()) return;
  QImage after = m_mask.copy();
  fillMaskRect(after, imageRect, erase);
  pushSnapshot(Layer::Mask, erase ? tr("Erase rectangle") : tr("Fill rectangle"), after);
}

void Document::fillPolygon(const QPolygonF& imagePolygon, bool erase) {
  if (m_mask.isNull()) return;
  QImage after = m_mask.copy();
  // A lasso with no area (a click, a back-and-forth line) changes nothing: no undo step.
  if (fillMaskPolygon(after, imagePolygon, erase).isEmpty() || after == m_mask) return;
  pushSnapshot(Layer::Mask, erase ? tr("Erase lasso") : tr("Fill lasso"), after);
}

bool Document::loadMask(const QString& path, QString* error) {
  QImageReader reader(path);
  reader.setAutoTransform(true);
  const QImage file = reader.read();
  if (file.isNull()) {
    if (error) *error = tr("Cannot read the mask %1: %2").arg(path, reader.errorString());
    return false;
  }
  if (m_image.isNull()) {
    if (error) *error = tr("Open an image before loading a mask.");
    return false;
  }
  setMask(maskFromFile(file), tr("Load mask"));
  return true;
}

bool Document::saveMask(const QString& path, QString* error) const {
  QSaveFile file(path);
  if (m_mask.isNull() || !file.open(QIODevice::WriteOnly)) {
    if (error) *error = tr("Cannot write %1: %2").arg(path, file.errorString());
    return false;
  }
  QImageWriter writer(&file, "png");
  if (!writer.write(m_mask) || !file.commit()) {
    if (error) *error = tr("Cannot write %1: %2").arg(path, writer.errorString());
    return false;
  }
  return true;
}

QRect Document::paintMaskSegment(QPointF from, QPointF to, const BrushShape& brush) {
  if (m_mask.isNull()) return {};
  const QRect changed = paintSegment(m_mask, from, to, brush);
  if (!changed.isEmpty()) emit maskChanged(changed);
  return changed;
}

void Document::writeLayer(Layer which, const QImage& content) {
  layerRef(which) = content;
  if (which == Layer::Scribble) m_scribbleEmpty = content.isNull() || fullyTransparent(content);
  emitLayerChanged(which, QRect());
}

void Document::writeLayerRect(Layer which, const QRect& rect, const QImage& patch) {
  QImage& target = layerRef(which);
  const int bytes = rect.width() * target.depth() / 8;
  for (int y = 0; y < rect.height(); ++y)
    std::memcpy(target.scanLine(rect.top() + y) + rect.left() * target.depth() / 8,
                patch.constScanLine(y), bytes);
  if (which == Layer::Scribble) m_scribbleEmpty = fullyTransparent(m_scribble);
  emitLayerChanged(which, rect);
}

void Document::emitLayerChanged(Layer which, const QRect& rect) {
  switch (which) {
    case Layer::Image:
      // A new base image is what the user should see: results shown over the old one
      // no longer apply to it.
      setShownCandidate(-1);
      clearPreview();
      emit imageChanged();
      updateModified();
      break;
    case Layer::Mask:
      emit maskChanged(rect);
      break;
    case Layer::Scribble:
      emit scribbleChanged(rect);
      break;
  }
}

// --- edit jobs -------------------------------------------------------------------------

int Document::beginJob(const QString& prompt, const QString& parameters, const QString& pack) {
  JobRecord job;
  job.id = QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmsszzz-")) +
           QString::number(m_jobs.size());
  job.prompt = prompt;
  job.parameters = parameters;
  job.pack = pack;
  job.started = QDateTime::currentDateTime();
  m_jobs.append(std::move(job));
  setCurrentJob(m_jobs.size() - 1);
  clearPreview();
  emit historyChanged();
  return m_jobs.size() - 1;
}

void Document::setCurrentJob(int job) {
  if (job < -1 || job >= m_jobs.size() || job == m_currentJob) return;
  setShownCandidate(-1);
  emit currentJobAboutToChange();
  m_currentJob = job;
  emit currentJobChanged(job);
}

const QVector<CandidateEntry>& Document::candidates() const {
  return m_currentJob >= 0 ? m_jobs[m_currentJob].candidates : kNoCandidates;
}

QImage Document::candidateImage(int job, int row) {
  if (job < 0 || job >= m_jobs.size() || row < 0 || row >= m_jobs[job].candidates.size()) return {};
  CandidateEntry& c = m_jobs[job].candidates[row];
  if (c.image.isNull() && !c.file.isEmpty()) c.image = readImageFile(c.file);
  return c.image;
}

int Document::addCandidate(int job, const CandidateEntry& candidate) {
  if (job < 0 || job >= m_jobs.size()) return -1;
  QVector<CandidateEntry>& list = m_jobs[job].candidates;
  const auto pos =
      std::upper_bound(list.begin(), list.end(), candidate.score,
                       [](double score, const CandidateEntry& c) { return score < c.score; });
  const int row = static_cast<int>(pos - list.begin());
  emit candidateAboutToBeAdded(job, row);
  list.insert(row, candidate);
  const bool shownMoved = job == m_currentJob && m_shownCandidate >= row;
  if (shownMoved) ++m_shownCandidate;
  emit candidateAdded(job, row);
  if (shownMoved) emit shownCandidateChanged(m_shownCandidate);
  emit historyChanged();
  return row;
}

void Document::removeCandidate(int job, int row) {
  if (job < 0 || job >= m_jobs.size() || row < 0 || row >= m_jobs[job].candidates.size()) return;
  const bool current = job == m_currentJob;
  // Removing the shown candidate shows its neighbour (the one above, else below), as
  // the gallery's selection moves.
  const int count = m_jobs[job].candidates.size();
  int shown = m_shownCandidate;
  if (current && row == shown)
    shown = row > 0 ? row - 1 : (count > 1 ? 0 : -1);
  else if (current && row < shown)
    --shown;
  emit candidateAboutToBeRemoved(job, row);
  m_jobs[job].candidates.removeAt(row);
  const bool shownChanged = current && shown != m_shownCandidate;
  const bool sameRowOtherImage = current && row == m_shownCandidate && shown == row;
  m_shownCandidate = shown;
  emit candidateRemoved(job, row);
  if (shownChanged || sameRowOtherImage) emit shownCandidateChanged(m_shownCandidate);
  emit historyChanged();
}

void Document::finishJob(int job, JobRecord::State state) {
  if (job < 0 || job >= m_jobs.size()) return;
  m_jobs[job].state = state;
  if (job == m_currentJob) clearPreview();
  emit historyChanged();
}

void Document::setJobs(const QVector<JobRecord>& jobs) {
  setShownCandidate(-1);
  emit currentJobAboutToChange();
  m_jobs = jobs;
  m_currentJob = m_jobs.size() - 1;
  emit currentJobChanged(m_currentJob);
  emit historyChanged();
}

bool Document::removeJob(int job) {
  if (job < 0 || job >= m_jobs.size() || m_jobs[job].state == JobRecord::State::Running)
    return false;
  const bool current = job == m_currentJob;
  if (current) {
    setShownCandidate(-1);
    emit currentJobAboutToChange();
    m_currentJob = -1;
  }
  m_jobs.removeAt(job);
  if (m_currentJob > job) --m_currentJob;
  emit jobRemoved(job);
  if (current) {
    // Its neighbour takes its place in the gallery, the newer one first.
    m_currentJob = std::min(job, static_cast<int>(m_jobs.size()) - 1);
    emit currentJobChanged(m_currentJob);
  }
  emit historyChanged();
  return true;
}

void Document::markCandidateExported(int job, int row) {
  if (job < 0 || job >= m_jobs.size() || row < 0 || row >= m_jobs[job].candidates.size()) return;
  m_jobs[job].candidates[row].exported = true;
  emit historyChanged();
}

void Document::markCandidateApplied(int job, int row) {
  if (job < 0 || job >= m_jobs.size() || row < 0 || row >= m_jobs[job].candidates.size()) return;
  m_jobs[job].candidates[row].applied = true;
  emit historyChanged();
}

int Document::unkeptCandidateCount() const {
  int count = 0;
  for (const JobRecord& job : m_jobs)
    if (!job.restored)
      for (const CandidateEntry& c : job.candidates) count += !c.exported && !c.applied;
  return count;
}

void Document::setShownCandidate(int row) {
  if (row < 0 || row >= candidates().size()) row = -1;
  if (row == m_shownCandidate) return;
  m_shownCandidate = row;
  emit shownCandidateChanged(row);
}

void Document::setPreview(const QImage& patch, QPoint at) {
  if (patch.isNull() || !m_image.rect().contains(QRect(at, patch.size()))) return;
  const QRect before = m_preview.isNull() ? QRect() : QRect(m_previewAt, m_preview.size());
  m_preview = patch;
  m_previewAt = at;
  emit previewChanged(before.united(QRect(at, patch.size())));
}

void Document::clearPreview() {
  if (m_preview.isNull()) return;
  const QRect before(m_previewAt, m_preview.size());
  m_preview = QImage();
  m_previewAt = QPoint();
  emit previewChanged(before);
}

}  // namespace bd::ui
