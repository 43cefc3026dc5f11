#pragma once
// Crash recovery: while the editor runs, the working image, mask and scribble layer are
// saved every few seconds when they changed, atomically, into <data>/recovery/, with
// session.json naming the source file and its history. The PNGs are encoded on a
// background thread from copies of the layers, so a large image's autosave never stalls
// painting or an edit's previews. A clean exit removes them, so
// finding them at start-up means the last session ended without one (killed, crashed,
// power cut): the window offers to restore them. The jobs need nothing here: the
// history store already has them.
//
// One editor per data folder keeps a recovery snapshot: the first takes recovery/
// instance.lock (a QLockFile: a killed holder's lock counts as free), others run
// without autosave.
#include <QDateTime>
#include <QFuture>
#include <QFutureWatcher>
#include <QImage>
#include <QLockFile>
#include <QObject>
#include <QThreadPool>
#include <QTimer>
#include <optional>

namespace bd::ui {

class Document;
class HistoryKeeper;

struct RecoveredSession {
  QImage image;
  QImage mask;      // Grayscale8, the image's size
  QImage scribble;  // RGBA8888, the image's size
  QString sourcePath;
  QString historyKey;
  bool modified = false;  // the image differed from its file
  QDateTime saved;
};

class RecoveryStore : public QObject {
  Q_OBJECT

 public:
  RecoveryStore(Document* document, const HistoryKeeper* history, const QString& dataDir,
                QObject* parent = nullptr);
  ~RecoveryStore() override;  // a clean exit: the snapshot is removed

  QString dir() const { return m_dir; }
  // False when another editor holds this data folder's lock (this one does not autosave).
  bool isActive() const { return m_active; }
  static constexpr int kDefaultIntervalMs = 3000;
  void setIntervalMs(int ms) { m_timer.setInterval(ms); }

  // What a session that did not exit cleanly left (read before this one wrote anything);
  // empty when there is nothing, or `problem` was emitted when it could not be read.
  const std::optional<RecoveredSession>& crashedSession() const { return m_crashed; }
  // Puts a crashed session into the document (not undoable: it is where editing resumes).
  void restore(const RecoveredSession& session, HistoryKeeper* history);
  void discardCrashedSession();

  // Writes the snapshot now if something changed since the last one, and waits for it
  // (and for a background write under way); false on failure.
  bool saveNow();

  struct Snapshot {
    QString dir;
    QImage image, mask, scribble;  // null: that file is already up to date
    bool removeSession = false;    // the old session.json described another document
    QByteArray session;
  };
  // Removes the snapshot (the session ends cleanly, or the user discarded it).
  void clear();

 signals:
  void saved();
  void problem(const QString& message);

 private:
  std::optional<RecoveredSession> readSession(QString* error) const;
  bool isDirty() const { return m_imageDirty || m_maskDirty || m_scribbleDirty || m_stateDirty; }
  Snapshot takeSnapshot();  // what changed, and marks it written
  void autosave();          // on the timer: in the background
  bool finishBackground();  // waits for the background write; false when it failed
  bool written(const QString& error);

  Document* m_document;
  const HistoryKeeper* m_history;
  QString m_dir;
  QLockFile m_lock;
  bool m_active = false;
  QTimer m_timer;
  QThreadPool m_pool;  // one thread: snapshots are written in order
  QFuture<QString> m_future;
  QFutureWatcher<QString> m_watcher;
  bool m_resultTaken = true;
  bool m_imageDirty = false;
  bool m_maskDirty = false;
  bool m_scribbleDirty = false;
  bool m_stateDirty = false;
  std::optional<RecoveredSession> m_crashed;
};

}  // namespace bd::ui
