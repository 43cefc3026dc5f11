#include "history_keeper.h"

#include <QFileInfo>
#include <QScopedValueRollback>
#include <QtConcurrent/QtConcurrentRun>

#include "document.h"

namespace bd::ui {

namespace {

constexpr int kWriteDelayMs = 1000;

HistoryKeeper::SaveResult saveAndClean(HistoryStore store, const QString& key,
                                       const QString& imageName, const QVector<JobRecord>& jobs,
                                       qint64 capBytes) {
  HistoryKeeper::SaveResult result;
  result.key = key;
  if (store.save(key, imageName, jobs, &result.error))
    result.removed = store.enforceCap(capBytes, key, &result.removedOpen);
  return result;
}

}  // namespace

HistoryKeeper::HistoryKeeper(Document* document, const QString& dataDir, QObject* parent)
    : QObject(parent), m_document(document), m_store(dataDir) {
  m_pool.setMaxThreadCount(1);
  m_timer.setSingleShot(true);
  m_timer.setInterval(kWriteDelayMs);
  connect(&m_timer, &QTimer::timeout, this, &HistoryKeeper::saveInBackground);
  connect(&m_watcher, &QFutureWatcher<SaveResult>::finished, this, [this] {
    if (m_resultTaken) return;  // flush() waited for it and took it already
    m_resultTaken = true;
    apply(m_future.result());
  });
  connect(document, &Document::historyChanged, this, [this] {
    if (m_loading || m_key.isEmpty()) return;
    m_dirty = true;
    m_timer.start();
  });
  connect(document, &Document::documentAboutToBeReplaced, this, &HistoryKeeper::flush);
  connect(document, &Document::documentReplaced, this, &HistoryKeeper::openDocument);
}

HistoryKeeper::~HistoryKeeper() { m_pool.waitForDone(); }

void HistoryKeeper::openDocument() {
  waitForBackground();
  m_timer.stop();
  m_dirty = false;
  m_key.clear();
  const QString source = m_document->sourcePath();
  m_imageName = source.isEmpty() ? tr("pasted image") : QFileInfo(source).fileName();
  if (!m_document->hasImage()) return m_nextKey.clear();
  m_key = m_nextKey;
  m_nextKey.clear();
  if (m_key.isEmpty() && !source.isEmpty()) m_key = HistoryStore::fileKey(source);
  if (m_key.isEmpty()) m_key = HistoryStore::imageKey(m_document->image());
  const HistoryStore::Loaded loaded = m_store.load(m_key);
  if (!loaded.problems.isEmpty()) emit problemsFound(loaded.problems);
  if (loaded.jobs.isEmpty()) return;
  {
    const QScopedValueRollback guard(m_loading, true);
    m_document->setJobs(loaded.jobs);
  }
  int candidates = 0;
  for (const JobRecord& job : loaded.jobs) candidates += job.candidates.size();
  emit restored(loaded.jobs.size(), candidates);
}

void HistoryKeeper::saveInBackground() {
  if (!m_dirty || m_key.isEmpty()) return;
  if (m_future.isRunning()) return m_timer.start();  // one write at a time; try again soon
  m_dirty = false;
  m_resultTaken = false;
  // The jobs by value: their images are shared, read-only, with the document's.
  m_future = QtConcurrent::run(&m_pool, saveAndClean, m_store, m_key, m_imageName,
                               m_document->jobs(), m_capBytes);
  m_watcher.setFuture(m_future);
}

bool HistoryKeeper::waitForBackground() {
  if (m_resultTaken) return true;
  m_future.waitForFinished();
  m_resultTaken = true;
  return apply(m_future.result());
}

bool HistoryKeeper::flush() {
  m_timer.stop();
  bool ok = waitForBackground();
  if (!m_dirty || m_key.isEmpty()) return ok;
  m_dirty = false;
  return apply(saveAndClean(m_store, m_key, m_imageName, m_document->jobs(), m_capBytes)) && ok;
}

bool HistoryKeeper::apply(const SaveResult& result) {
  if (!result.error.isEmpty()) {
    if (result.key == m_key) m_dirty = true;  // the next change tries again
    emit problemsFound({result.error});
    return false;
  }
  if (result.removed.isEmpty()) return true;
  if (result.key == m_key) {
    const bool wasDirty = m_dirty;
    for (const QString& id : result.removedOpen)
      for (int j = 0; j < m_document->jobs().size(); ++j)
        if (m_document->jobs()[j].id == id) {
          m_document->removeJob(j);
          break;
        }
    // The store already lacks them: their removal needs no write of its own.
    m_dirty = wasDirty;
    if (!m_dirty) m_timer.stop();
  }
  emit cleanedUp(result.removed);
  return true;
}

}  // namespace bd::ui
