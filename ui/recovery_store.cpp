#include "recovery_store.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QtConcurrent/QtConcurrentRun>
#include <utility>

#include "document.h"
#include "history_keeper.h"
#include "png_files.h"

namespace bd::ui {

namespace {

const QString kSession = QStringLiteral("session.json");
const QString kImage = QStringLiteral("image.png");
const QString kMask = QStringLiteral("mask.png");
const QString kScribble = QStringLiteral("scribble.png");
}  // namespace

RecoveryStore::RecoveryStore(Document* document, const HistoryKeeper* history,
                             const QString& dataDir, QObject* parent)
    : QObject(parent),
      m_document(document),
      m_history(history),
      m_dir(QDir(dataDir).filePath(QStringLiteral("recovery"))),
      m_lock(QDir(m_dir).filePath(QStringLiteral("instance.lock"))) {
  // Only a dead holder frees the lock: a long session's lock is not stale by age.
  m_lock.setStaleLockTime(0);
  m_active = QDir().mkpath(m_dir) && m_lock.tryLock(0);
  if (!m_active) return;
  if (QFile::exists(QDir(m_dir).filePath(kSession))) {
    QString error;
    m_crashed = readSession(&error);
    if (!m_crashed)
      QTimer::singleShot(0, this, [this, error] {
        emit problem(tr("The last session's recovery files cannot be read: %1").arg(error));
      });
  }
  m_timer.setSingleShot(true);
  m_timer.setInterval(kDefaultIntervalMs);
  connect(&m_timer, &QTimer::timeout, this, &RecoveryStore::autosave);
  m_pool.setMaxThreadCount(1);
  connect(&m_watcher, &QFutureWatcher<QString>::finished, this, [this] {
    if (m_resultTaken) return;  // saveNow() waited for it and took it already
    m_resultTaken = true;
    written(m_future.result());
  });
  auto changed = [this](bool* flag) {
    return [this, flag] {
      *flag = true;
      if (!m_timer.isActive()) m_timer.start();
    };
  };
  connect(document, &Document::imageChanged, this, changed(&m_imageDirty));
  connect(document, &Document::maskChanged, this, changed(&m_maskDirty));
  connect(document, &Document::scribbleChanged, this, changed(&m_scribbleDirty));
  connect(document, &Document::sourcePathChanged, this, changed(&m_stateDirty));
  connect(document, &Document::modifiedChanged, this, changed(&m_stateDirty));
  connect(document, &Document::documentReplaced, this, changed(&m_stateDirty));
}

RecoveryStore::~RecoveryStore() {
  if (m_active) clear();
}

std::optional<RecoveredSession> RecoveryStore::readSession(QString* error) const {
  const QDir dir(m_dir);
  QFile file(dir.filePath(kSession));
  if (!file.open(QIODevice::ReadOnly)) {
    *error = QStringLiteral("%1: %2").arg(file.fileName(), file.errorString());
    return std::nullopt;
  }
  QJsonParseError parseError{};
  const QJsonObject json = QJsonDocument::fromJson(file.readAll(), &parseError).object();
  QStringList problems;
  if (parseError.error != QJsonParseError::NoError)
    problems << QStringLiteral("%1: not JSON (%2)").arg(file.fileName(), parseError.errorString());
  RecoveredSession s;
  s.sourcePath = json.value(QStringLiteral("source")).toString();
  s.historyKey = json.value(QStringLiteral("history")).toString();
  s.modified = json.value(QStringLiteral("modified")).toBool();
  s.saved =
      QDateTime::fromString(json.value(QStringLiteral("saved")).toString(), Qt::ISODateWithMs);
  auto read = [&](const QString& name) {
    QString why;
    const QImage image = readImageFile(dir.filePath(name), &why);
    if (image.isNull()) problems << why;
    return image;
  };
  s.image = read(kImage);
  s.mask = read(kMask).convertToFormat(QImage::Format_Grayscale8);
  s.scribble = read(kScribble).convertToFormat(QImage::Format_RGBA8888);
  for (const auto& [name, layer] : {std::pair{kMask, &s.mask}, std::pair{kScribble, &s.scribble}})
    if (!s.image.isNull() && !layer->isNull() && layer->size() != s.image.size())
      problems << QStringLiteral("%1: %2x%3, not the image's %4x%5")
                      .arg(dir.filePath(name))
                      .arg(layer->width())
                      .arg(layer->height())
                      .arg(s.image.width())
                      .arg(s.image.height());
  if (!problems.isEmpty()) {
    *error = problems.join(QStringLiteral("; "));
    return std::nullopt;
  }
  return s;
}

RecoveryStore::Snapshot RecoveryStore::takeSnapshot() {
  Snapshot snap;
  snap.dir = m_dir;
  // A new document writes every layer, after removing the old session.json: a snapshot
  // is whole or absent, since without session.json nothing else is read.
  const bool all = !QFile::exists(QDir(m_dir).filePath(kSession)) || m_stateDirty;
  snap.removeSession = all;
  if (all || m_imageDirty) snap.image = m_document->image();
  if (all || m_maskDirty) snap.mask = m_document->mask();
  if (all || m_scribbleDirty) snap.scribble = m_document->scribble();
  const QJsonObject state{{"source", m_document->sourcePath()},
                          {"history", m_history ? m_history->imageKey() : QString()},
                          {"modified", m_document->isModified()},
                          {"saved", QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)}};
  snap.session = QJsonDocument(state).toJson();
  m_imageDirty = m_maskDirty = m_scribbleDirty = m_stateDirty = false;
  return snap;
}

// Runs on the background thread: touches only the snapshot and the files.
static QString writeSnapshot(const RecoveryStore::Snapshot& snap) {
  const QDir dir(snap.dir);
  if (snap.removeSession) QFile::remove(dir.filePath(kSession));
  QString error;
  for (const auto& [name, image] : {std::pair{kImage, &snap.image}, std::pair{kMask, &snap.mask},
                                    std::pair{kScribble, &snap.scribble}})
    if (!image->isNull() && !writePngAtomically(dir.filePath(name), *image, &error)) return error;
  QSaveFile session(dir.filePath(kSession));
  if (!session.open(QIODevice::WriteOnly) || session.write(snap.session) < 0 || !session.commit())
    return QStringLiteral("cannot write %1: %2").arg(session.fileName(), session.errorString());
  return {};
}

bool RecoveryStore::written(const QString& error) {
  if (error.isEmpty()) {
    emit saved();
    return true;
  }
  m_stateDirty = true;  // the next try writes everything again
  emit problem(tr("Autosave failed: %1").arg(error));
  return false;
}

bool RecoveryStore::finishBackground() {
  if (m_resultTaken) return true;
  m_future.waitForFinished();
  m_resultTaken = true;
  return written(m_future.result());
}

void RecoveryStore::autosave() {
  if (!m_active || !isDirty()) return;
  if (m_future.isRunning()) return m_timer.start();  // one write at a time
  if (!m_document->hasImage()) return clear();
  m_resultTaken = false;
  m_future = QtConcurrent::run(&m_pool, writeSnapshot, takeSnapshot());
  m_watcher.setFuture(m_future);
}

bool RecoveryStore::saveNow() {
  m_timer.stop();
  bool ok = finishBackground();
  if (!m_active || !isDirty()) return ok;
  if (!m_document->hasImage()) {
    clear();
    return ok;
  }
  return written(writeSnapshot(takeSnapshot())) && ok;
}

void RecoveryStore::clear() {
  m_timer.stop();
  m_future.waitForFinished();  // or it could write a file after they are gone
  m_resultTaken = true;
  const QDir dir(m_dir);
  // session.json first: without it the rest is never read.
  for (const QString& name : {kSession, kImage, kMask, kScribble})
    QFile::remove(dir.filePath(name));
}

void RecoveryStore::restore(const RecoveredSession& session, HistoryKeeper* history) {
  if (history && !session.historyKey.isEmpty()) history->useKeyForNextImage(session.historyKey);
  m_document->setImage(session.image, session.sourcePath);
  m_document->writeLayer(Layer::Mask, session.mask);
  m_document->writeLayer(Layer::Scribble, session.scribble);
  if (session.modified) m_document->markUnsaved();
  m_crashed.reset();
}

void RecoveryStore::discardCrashedSession() {
  m_crashed.reset();
  clear();
}

}  // namespace bd::ui
