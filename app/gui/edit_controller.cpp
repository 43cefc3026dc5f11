#include "edit_controller.h"

#include <QDir>
#include <QFileInfo>
#include <algorithm>

#include "bd/error.h"
#include "bd/image.h"
#include "bd/parameters_text.h"
#include "document.h"
#include "edit_worker.h"
#include "image_convert.h"
#include "mask_ops.h"

namespace bd::gui {

namespace {

// What a job asked for, for the document's history (the candidates' own text adds
// their seed and score).
QString jobParametersText(const bd::EditParams& p) {
  return QString::fromStdString(bd::parameters_line(p));
}

}  // namespace

EditController::EditController(bd::ui::Document* document, QObject* parent, const QString& device,
                               int threads)
    : QObject(parent), m_document(document), m_worker(new EditWorker(device, threads)) {
  qRegisterMetaType<bd::ui::StepProgress>();
  qRegisterMetaType<bd::ui::PreviewFrame>();
  qRegisterMetaType<bd::ui::CandidateEntry>();
  qRegisterMetaType<bd::ui::PackInfo>();
  m_thread.setObjectName(QStringLiteral("EditWorker"));
  m_worker->moveToThread(&m_thread);
  connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);

  connect(m_worker, &EditWorker::packLoading, this,
          [this](const QString& dir) { emit packLoading(dir); });
  connect(m_worker, &EditWorker::packLoaded, this, [this](const bd::ui::PackInfo& info) {
    m_packLoading = false;
    m_packReady = true;
    m_pack = info;
    m_measuredCandidateStepS = 0.0;
    emit packReady(info);
  });
  connect(m_worker, &EditWorker::packFailed, this,
          [this](const QString& dir, const QString& kind, const QString& msg) {
            m_packLoading = false;
            m_packReady = false;
            emit packFailed(dir, kind, msg);
          });
  connect(m_worker, &EditWorker::stepProgress, this, [this](const bd::ui::StepProgress& p) {
    if (p.jobId != m_jobId || !m_busy) return;
    m_lastProgress = p;
    emit progress(p);
  });
  connect(m_worker, &EditWorker::previewReady, this, &EditController::onPreview);
  // A new document has no place for the running job's results: they are dropped as
  // they come, until that job ends.
  connect(document, &bd::ui::Document::documentReplaced, this, [this] { m_documentJob = -1; });
  // History clean-up may drop older jobs: the running one's index moves up.
  connect(document, &bd::ui::Document::jobRemoved, this, [this](int job) {
    if (m_documentJob > job)
      --m_documentJob;
    else if (m_documentJob == job)
      m_documentJob = -1;
  });
  connect(m_worker, &EditWorker::candidateReady, this,
          [this](quint64 jobId, const bd::ui::CandidateEntry& c) {
            if (jobId != m_jobId || !m_document) return;
            const int row = m_document->addCandidate(m_documentJob, c);
            if (row >= 0) emit candidateAdded(row);
          });
  connect(m_worker, &EditWorker::editFinished, this,
          [this](quint64 jobId, const QStringList& warnings) {
            if (jobId != m_jobId) return;
            if (m_pack.device == QLatin1String("cpu") && m_lastProgress.jobId == jobId &&
                m_lastProgress.step > 0)
              m_measuredCandidateStepS = m_lastProgress.elapsedS / m_lastProgress.step /
                                         std::max(1, m_lastParams.batch_size);
            endJob(jobId, bd::ui::JobRecord::State::Done);
            const bool inHistory = m_document && m_documentJob >= 0;
            emit editFinished(inHistory ? m_document->jobs()[m_documentJob].candidates.size() : 0,
                              warnings);
            startNextQueued();
          });
  connect(m_worker, &EditWorker::editCancelled, this, [this](quint64 jobId) {
    if (jobId != m_jobId) return;
    endJob(jobId, bd::ui::JobRecord::State::Cancelled);
    emit editCancelled();
    startNextQueued();
  });
  connect(m_worker, &EditWorker::editFailed, this,
          [this](quint64 jobId, const QString& kind, const QString& msg) {
            if (jobId != m_jobId) return;
            endJob(jobId, bd::ui::JobRecord::State::Failed);
            emit errorOccurred(tr("The edit failed"), kind, msg);
            startNextQueued();
          });
  m_thread.start();
}

EditController::~EditController() {
  if (m_cancel) m_cancel->store(true);  // the engine stops within one step
  m_thread.requestInterruption();
  m_thread.quit();
  m_thread.wait();
}

void EditController::setCompute(const QString& device, const QString& precision) {
  QMetaObject::invokeMethod(
      m_worker, [w = m_worker, device, precision] { w->setCompute(device, precision); },
      Qt::QueuedConnection);
  if (!m_packDir.isEmpty()) loadPack(m_packDir);
}

void EditController::loadPack(const QString& dir) {
  m_packDir = dir;
  m_packLoading = true;
  m_packReady = false;
  QMetaObject::invokeMethod(
      m_worker, [w = m_worker, dir] { w->loadPack(dir); }, Qt::QueuedConnection);
}

bool EditController::openImage(const QString& path) {
  try {
    const bd::Image image = bd::load_image(QDir::toNativeSeparators(path).toStdString());
    const QImage q = bd::ui::toQImage(image);
    if (q.isNull())
      throw bd::Error(bd::ErrorKind::InvalidInput,
                      path.toStdString() + ": unsupported pixel layout");
    setImage(q, QFileInfo(path).absoluteFilePath());
    emit documentOpened(path);
    return true;
  } catch (const std::exception& e) {
    const auto* be = dynamic_cast<const bd::Error*>(&e);
    emit errorOccurred(tr("Cannot open the image"),
                       be ? errorKindName(be->kind()) : QStringLiteral("InvalidInput"),
                       QString::fromStdString(e.what()));
    return false;
  }
}

void EditController::setImage(const QImage& image, const QString& sourcePath) {
  // Queued jobs belong to the image they were asked for.
  clearQueue();
  cancel();
  m_document->setImage(image, sourcePath);
}

void EditController::endJob(quint64 jobId, bd::ui::JobRecord::State state) {
  if (jobId != m_jobId) return;
  setBusy(false);
  if (m_document) m_document->finishJob(m_documentJob, state);
}

bool EditController::generate(const QString& prompt, const bd::EditParams& params) {
  if (!m_packReady) {
    emit errorOccurred(tr("No model pack"), QStringLiteral("ModelFiles"),
                       m_packLoading
                           ? tr("The model pack is still loading; try again in a moment.")
                           : tr("Choose a model pack folder (File › Model pack…) first."));
    return false;
  }
  if (!m_document->hasImage()) {
    emit errorOccurred(tr("No image"), QStringLiteral("InvalidInput"), tr("Open an image first."));
    return false;
  }
  if (bd::ui::maskIsEmpty(m_document->mask())) {
    emit errorOccurred(
        tr("Empty mask"), QStringLiteral("InvalidInput"),
        tr("Paint the region to change first (brush: left button; eraser: right button)."));
    return false;
  }
  // The image and mask as they are now: painting on while it waits changes the next job.
  const PendingJob job{++m_nextId, prompt, params, m_document->image(), m_document->mask()};
  if (m_busy) {
    m_queue.append(job);
    emit queueChanged();
    return true;
  }
  start(job);
  return true;
}

void EditController::start(const PendingJob& pending) {
  EditJob job;
  job.id = m_jobId = pending.id;
  job.image = pending.image;
  job.mask = pending.mask;
  job.prompt = pending.prompt;
  job.params = pending.params;
  job.cancel = m_cancel = std::make_shared<std::atomic<bool>>(false);
  m_lastPrompt = pending.prompt;
  m_lastParams = pending.params;
  m_previewStep = -1;
  // Earlier jobs stay in the document's history; the gallery follows the new one.
  m_documentJob = m_document->beginJob(pending.prompt, jobParametersText(pending.params),
                                       m_pack.title.isEmpty() ? m_pack.name : m_pack.title);
  setBusy(true);
  QMetaObject::invokeMethod(
      m_worker, [w = m_worker, job] { w->runEdit(job); }, Qt::QueuedConnection);
}

void EditController::startNextQueued() {
  if (m_busy || m_queue.isEmpty() || !m_packReady) return;
  const PendingJob next = m_queue.takeFirst();
  emit queueChanged();
  // A candidate the user is looking at stays in view; the new job fills the History
  // panel as it runs and the gallery when it ends.
  const int keepJob = m_document->currentJob();
  const int keepRow = m_document->shownCandidate();
  start(next);
  if (keepRow >= 0) {
    m_document->setCurrentJob(keepJob);
    m_document->setShownCandidate(keepRow);
  }
}

QVector<bd::ui::QueuedJobInfo> EditController::queuedJobs() const {
  QVector<bd::ui::QueuedJobInfo> jobs;
  for (const PendingJob& j : m_queue) jobs.append({j.id, j.prompt, jobParametersText(j.params)});
  return jobs;
}

bool EditController::cancelQueued(quint64 id) {
  for (int i = 0; i < m_queue.size(); ++i)
    if (m_queue[i].id == id) {
      m_queue.removeAt(i);
      emit queueChanged();
      return true;
    }
  return false;
}

void EditController::clearQueue() {
  if (m_queue.isEmpty()) return;
  m_queue.clear();
  emit queueChanged();
}

void EditController::cancel() {
  if (m_cancel) m_cancel->store(true);
}

void EditController::setBusy(bool busy) {
  if (busy == m_busy) return;
  m_busy = busy;
  emit busyChanged(busy);
}

void EditController::onPreview(const bd::ui::PreviewFrame& frame) {
  m_worker->previewConsumed();
  // Only the newest preview of the running job matters; older ones are dropped.
  if (frame.jobId != m_jobId || !m_busy || frame.step <= m_previewStep) return;
  m_previewStep = frame.step;
  if (m_document && m_documentJob >= 0) m_document->setPreview(frame.image, frame.at);
  emit previewShown(frame.step, frame.engineNs);
}

void EditController::showCandidate(int row) { m_document->setShownCandidate(row); }

void EditController::applyCandidate(int row) { applyCandidate(m_document->currentJob(), row); }

void EditController::applyCandidate(int job, int row) {
  const QVector<bd::ui::JobRecord>& jobs = m_document->jobs();
  if (job < 0 || job >= jobs.size() || row < 0 || row >= jobs[job].candidates.size() || m_busy)
    return;
  const QImage image = m_document->candidateImage(job, row);
  if (image.isNull()) return;  // its file is gone from the history store
  m_document->replaceImage(image,
                           tr("Apply candidate (seed %1)").arg(jobs[job].candidates[row].seed));
  m_document->markCandidateApplied(job, row);
  m_document->setShownCandidate(-1);
}

bool EditController::rerunWithSeed(int row) {
  return rerunCandidate(m_document->currentJob(), row);
}

bool EditController::rerunCandidate(int job, int row) {
  const QVector<bd::ui::JobRecord>& jobs = m_document->jobs();
  if (job < 0 || job >= jobs.size() || row < 0 || row >= jobs[job].candidates.size()) return false;
  const bd::ui::JobRecord& record = jobs[job];
  const bd::ui::CandidateEntry& c = record.candidates[row];
  // The candidate's own text has every parameter of its job; a job of this session
  // without one (never from the engine) falls back to the last edit's.
  const bd::ParsedParameters parsed =
      bd::parse_parameters_text(c.parameters.toStdString(), m_pack.defaults);
  bd::EditParams p = parsed.read > 0 ? parsed.params : m_lastParams;
  p.seed = c.seed;
  p.batch_size = 1;
  p.iterations = 1;
  return generate(record.prompt, p);
}

void EditController::discardCandidate(int row) {
  m_document->removeCandidate(m_document->currentJob(), row);
}

bool EditController::refuseExport(const QString& path, bool overwriteSource) {
  if (!m_document->isSourcePath(path) || overwriteSource) return false;
  emit errorOccurred(tr("Export refused"), QStringLiteral("InvalidInput"),
                     tr("%1 is the image this document was opened from.").arg(path));
  return true;
}

bool EditController::writeExport(const QString& path, const QImage& image,
                                 const QString& parameters) {
  std::map<std::string, std::string> text;
  if (!parameters.isEmpty()) text["parameters"] = parameters.toStdString();
  try {
    bd::save_image(path.toStdString(), bd::ui::fromQImage(image), text);
  } catch (const std::exception& e) {
    emit errorOccurred(tr("Export failed"), QStringLiteral("InvalidInput"),
                       QString::fromStdString(e.what()));
    return false;
  }
  return true;
}

bool EditController::exportShown(const QString& path, bool overwriteSource) {
  if (!m_document->hasImage() || refuseExport(path, overwriteSource)) return false;
  const int shown = m_document->shownCandidate();
  if (shown >= 0) return exportCandidate(m_document->currentJob(), shown, path, true);
  QString parameters;
  if (!m_lastPrompt.isEmpty() && m_document->isModified())
    parameters = m_lastPrompt + "\n(applied edit; see the candidate's export for all values)";
  if (!writeExport(path, m_document->image(), parameters)) return false;
  m_document->markSaved();
  return true;
}

bool EditController::exportCandidate(int job, int row, const QString& path, bool overwriteSource) {
  const QVector<bd::ui::JobRecord>& jobs = m_document->jobs();
  if (job < 0 || job >= jobs.size() || row < 0 || row >= jobs[job].candidates.size() ||
      refuseExport(path, overwriteSource))
    return false;
  const QImage image = m_document->candidateImage(job, row);
  if (image.isNull()) {
    emit errorOccurred(tr("Export failed"), QStringLiteral("InvalidInput"),
                       tr("The candidate's file %1 is gone from the history store.")
                           .arg(jobs[job].candidates[row].file));
    return false;
  }
  if (!writeExport(path, image, jobs[job].candidates[row].parameters)) return false;
  m_document->markCandidateExported(job, row);
  return true;
}

int EditController::exportAllCandidates(const QString& dir) {
  if (!QDir().mkpath(dir)) {
    emit errorOccurred(tr("Export failed"), QStringLiteral("InvalidInput"),
                       tr("Cannot create %1").arg(dir));
    return -1;
  }
  const QString source = m_document->sourcePath();
  const QString stem =
      source.isEmpty() ? QStringLiteral("edit") : QFileInfo(source).completeBaseName();
  int written = 0;
  const int job = m_document->currentJob();
  const QVector<bd::ui::CandidateEntry> candidates = m_document->candidates();
  for (int row = 0; row < candidates.size(); ++row) {
    const bd::ui::CandidateEntry& c = candidates[row];
    const QString path = QDir(dir).filePath(QStringLiteral("%1_rank%2_seed%3.png")
                                                .arg(stem)
                                                .arg(row + 1, 2, 10, QLatin1Char('0'))
                                                .arg(c.seed));
    try {
      bd::save_image(path.toStdString(), bd::ui::fromQImage(m_document->candidateImage(job, row)),
                     {{"parameters", c.parameters.toStdString()}});
      m_document->markCandidateExported(job, row);
      ++written;
    } catch (const std::exception& e) {
      emit errorOccurred(tr("Export failed"), QStringLiteral("InvalidInput"),
                         QString::fromStdString(e.what()));
      return -1;
    }
  }
  return written;
}

}  // namespace bd::gui
