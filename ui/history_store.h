#pragma once
// Where every edit job's results are kept between sessions: one folder per image under
// <data>/history/, named by the SHA-256 of the image file's bytes (so a renamed or moved
// file keeps its history), holding the candidates as PNG files and one index.json
// (history_index.h). Files are written atomically (QSaveFile): a crash leaves the old
// index or the new one, never half of one. The whole store has a size cap; clean-up
// removes the oldest jobs first, of any image, and says which.
#include <QImage>
#include <QString>
#include <QStringList>
#include <QVector>

#include "document.h"

namespace bd::ui {

// The folder Blendiff keeps its data in: $BLENDIFF_DATA_DIR when set (tests, portable
// installs), else the platform's application data folder.
QString appDataDir();

class HistoryStore {
 public:
  // `root`: the data folder; the store lives in root/history/.
  explicit HistoryStore(const QString& root);
  QString dir() const { return m_dir; }

  // The key of an image file: SHA-256 of its bytes, 64 hex digits; empty (and `error`
  // says why) when it cannot be read.
  static QString fileKey(const QString& path, QString* error = nullptr);
  // The key of an image that has no file (pasted, dropped): SHA-256 of its pixels.
  static QString imageKey(const QImage& image);

  struct Loaded {
    QVector<JobRecord> jobs;  // oldest first, each marked `restored`
    QStringList problems;     // what could not be read, each naming the file and place
  };
  Loaded load(const QString& key) const;

  // Makes the store's copy of this image's history equal to `jobs`: writes the PNGs of
  // candidates not yet written, then the index, then removes the PNGs of candidates that
  // were discarded. Without jobs the image's folder is removed. False: `error` says why.
  bool save(const QString& key, const QString& imageName, const QVector<JobRecord>& jobs,
            QString* error = nullptr);

  // Removes whole jobs, oldest first over all images, until the store holds at most
  // `capBytes`; the newest job of `openKey` (the open image) is never removed. Returns one
  // line per removed job ("scene.png: 'a red ball' of 2026-12-05 16:27"); the ids of the
  // open image's removed jobs go to `removedOpenJobs`.
  QStringList enforceCap(qint64 capBytes, const QString& openKey,
                         QStringList* removedOpenJobs = nullptr);
  qint64 sizeBytes() const;

  // The file names of a job's candidates in its image's folder, in their order: the job's
  // id, iteration and index; a second candidate with the same iteration and index (never
  // from the engine) gets a suffix.
  static QStringList candidateFileNames(const JobRecord& job);

 private:
  QString imageDir(const QString& key) const;

  QString m_dir;
};

}  // namespace bd::ui
