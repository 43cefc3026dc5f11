#pragma once
// Keeps a Document's job history in the HistoryStore: when an image is opened its earlier
// jobs come back into the document; every change to the history is written shortly after
// (debounced, so candidates arriving one by one cost one write, not one per signal), on a
// background thread (a large candidate's PNG takes a second to encode, which the running
// edit's previews must not wait for), and at once, waiting for it, before the document is
// replaced or the window closes. After each write the store's size cap is enforced, and
// jobs the clean-up removed from the open image leave the document too.
#include <QFuture>
#include <QFutureWatcher>
#include <QObject>
#include <QStringList>
#include <QThreadPool>
#include <QTimer>

#include "history_store.h"

namespace bd::ui {

class Document;

class HistoryKeeper : public QObject {
  Q_OBJECT

 public:
  HistoryKeeper(Document* document, const QString& dataDir, QObject* parent = nullptr);
  ~HistoryKeeper() override;

  const HistoryStore& store() const { return m_store; }
  QString imageKey() const { return m_key; }
  static constexpr qint64 kDefaultCapBytes = qint64(1) << 30;
  void setCapBytes(qint64 bytes) { m_capBytes = bytes; }
  qint64 capBytes() const { return m_capBytes; }
  // The history to use for the next image the document opens, instead of its file's or
  // pixels' hash (a restored session's image may carry an applied edit).
  void useKeyForNextImage(const QString& key) { m_nextKey = key; }
  // Writes what changed since the last write, now, and waits for it. False when the
  // store could not be written (problemsFound says why).
  bool flush();

  struct SaveResult {
    QString key;
    QString error;
    QStringList removed;      // lines naming the jobs the size cap removed
    QStringList removedOpen;  // their ids, of the image `key`
  };

 signals:
  void restored(int jobs, int candidates);
  void problemsFound(const QStringList& problems);
  void cleanedUp(const QStringList& removedJobs);

 private:
  void openDocument();
  void saveInBackground();
  bool waitForBackground();  // false when the write it waited for failed
  bool apply(const SaveResult& result);

  Document* m_document;
  HistoryStore m_store;
  QTimer m_timer;
  QThreadPool m_pool;  // one thread: writes happen in the order they were asked for
  QFuture<SaveResult> m_future;
  QFutureWatcher<SaveResult> m_watcher;
  bool m_resultTaken = true;
  QString m_key;
  QString m_nextKey;
  QString m_imageName;
  qint64 m_capBytes = kDefaultCapBytes;
  bool m_dirty = false;
  bool m_loading = false;
};

}  // namespace bd::ui
