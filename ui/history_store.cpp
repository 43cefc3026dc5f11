#include "history_store.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QSaveFile>
#include <QSet>
#include <QStandardPaths>
#include <algorithm>

#include "candidate_model.h"
#include "history_index.h"
#include "png_files.h"

namespace bd::ui {

namespace {

const QString kIndexName = QStringLiteral("index.json");
QString stateName(JobRecord::State state) {
  switch (state) {
    case JobRecord::State::Done:
      return QStringLiteral("done");
    case JobRecord::State::Failed:
      return QStringLiteral("failed");
    case JobRecord::State::Running:  // a job still running when the store was written
    case JobRecord::State::Cancelled:
      break;
  }
  return QStringLiteral("cancelled");
}

JobRecord::State stateFromName(const QString& name) {
  if (name == QLatin1String("done")) return JobRecord::State::Done;
  if (name == QLatin1String("failed")) return JobRecord::State::Failed;
  return JobRecord::State::Cancelled;
}

bool writeAtomically(const QString& path, const QByteArray& bytes, QString* error) {
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
    if (error) *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
    return false;
  }
  return true;
}

QByteArray readAll(const QString& path, QString* error) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) {
    if (error) *error = file.errorString();
    return {};
  }
  return file.readAll();
}

HistoryIndex indexOf(const QString& key, const QString& imageName, const QVector<JobRecord>& jobs) {
  HistoryIndex index;
  index.imageSha256 = key;
  index.imageName = imageName;
  for (const JobRecord& job : jobs) {
    HistoryJobEntry entry;
    entry.id = job.id;
    entry.prompt = job.prompt;
    entry.parameters = job.parameters;
    entry.pack = job.pack;
    entry.started = job.started.toUTC();
    entry.state = stateName(job.state);
    const QStringList names = HistoryStore::candidateFileNames(job);
    for (int i = 0; i < job.candidates.size(); ++i) {
      const CandidateEntry& c = job.candidates[i];
      entry.candidates.append({names[i], c.score, c.seed, c.iteration, c.index, c.seconds,
                               c.parameters, c.exported, c.applied});
    }
    index.jobs.append(entry);
  }
  return index;
}

// The small picture beside each candidate's PNG, so reopening an image with a long history
// reads thumbnails, not every full-resolution result.
QString thumbnailName(const QString& candidateFile) {
  return candidateFile.left(candidateFile.size() - 4) + QStringLiteral(".thumb.png");
}

}  // namespace

QString appDataDir() {
  const QByteArray env = qgetenv("BLENDIFF_DATA_DIR");
  if (!env.isEmpty()) return QString::fromLocal8Bit(env);
  return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
}

HistoryStore::HistoryStore(const QString& root)
    : m_dir(QDir(root).filePath(QStringLiteral("history"))) {}

QString HistoryStore::imageDir(const QString& key) const { return QDir(m_dir).filePath(key); }

QString HistoryStore::fileKey(const QString& path, QString* error) {
  QFile file(path);
  QCryptographicHash hash(QCryptographicHash::Sha256);
  if (!file.open(QIODevice::ReadOnly) || !hash.addData(&file)) {
    if (error) *error = QStringLiteral("cannot read %1: %2").arg(path, file.errorString());
    return {};
  }
  return QString::fromLatin1(hash.result().toHex());
}

QString HistoryStore::imageKey(const QImage& image) {
  QCryptographicHash hash(QCryptographicHash::Sha256);
  const QByteArray header = QStringLiteral("%1x%2:%3")
                                .arg(image.width())
                                .arg(image.height())
                                .arg(int(image.format()))
                                .toLatin1();
  hash.addData(header);
  const qsizetype rowBytes = qsizetype(image.width()) * image.depth() / 8;
  for (int y = 0; y < image.height(); ++y)
    hash.addData(QByteArrayView(reinterpret_cast<const char*>(image.constScanLine(y)), rowBytes));
  return QString::fromLatin1(hash.result().toHex());
}

QStringList HistoryStore::candidateFileNames(const JobRecord& job) {
  QStringList names;
  for (const CandidateEntry& c : job.candidates) {
    const QString stem = QStringLiteral("%1_%2_%3").arg(job.id).arg(c.iteration).arg(c.index);
    QString name = stem + QStringLiteral(".png");
    for (int n = 2; names.contains(name); ++n) name = QStringLiteral("%1-%2.png").arg(stem).arg(n);
    names << name;
  }
  return names;
}

HistoryStore::Loaded HistoryStore::load(const QString& key) const {
  Loaded loaded;
  const QDir dir(imageDir(key));
  const QString indexPath = dir.filePath(kIndexName);
  if (key.isEmpty() || !QFileInfo::exists(indexPath)) return loaded;
  QString error;
  const QByteArray bytes = readAll(indexPath, &error);
  if (!error.isEmpty()) {
    loaded.problems << QStringLiteral("%1: %2").arg(indexPath, error);
    return loaded;
  }
  QStringList problems;
  const HistoryIndex index = parseHistoryIndex(bytes, &problems);
  for (const QString& p : problems) loaded.problems << QStringLiteral("%1: %2").arg(indexPath, p);
  if (!index.imageSha256.isEmpty() && index.imageSha256 != key)
    loaded.problems << QStringLiteral("%1: image.sha256: %2 is not the folder's %3")
                           .arg(indexPath, index.imageSha256, key);
  for (const HistoryJobEntry& entry : index.jobs) {
    JobRecord job;
    job.id = entry.id;
    job.prompt = entry.prompt;
    job.parameters = entry.parameters;
    job.pack = entry.pack;
    job.started = entry.started.toLocalTime();
    job.state = stateFromName(entry.state);
    job.restored = true;
    for (const HistoryCandidateFile& file : entry.candidates) {
      CandidateEntry c;
      c.file = dir.filePath(file.file);
      if (!QFileInfo::exists(c.file)) {
        loaded.problems << QStringLiteral("%1: missing").arg(c.file);
        continue;
      }
      c.thumbnail = readImageFile(dir.filePath(thumbnailName(file.file)));
      if (c.thumbnail.isNull()) {  // none written (yet): the full image gives one
        QString why;
        c.image = readImageFile(c.file, &why);
        if (c.image.isNull()) {
          loaded.problems << why;
          continue;
        }
        c.thumbnail = CandidateModel::makeThumbnail(c.image);
      }
      c.score = file.score;
      c.seed = file.seed;
      c.iteration = file.iteration;
      c.index = file.index;
      c.seconds = file.seconds;
      c.parameters = file.parameters;
      c.exported = file.exported;
      c.applied = file.applied;
      job.candidates.append(c);
    }
    loaded.jobs.append(job);
  }
  return loaded;
}

bool HistoryStore::save(const QString& key, const QString& imageName,
                        const QVector<JobRecord>& jobs, QString* error) {
  if (key.isEmpty()) return true;
  QDir dir(imageDir(key));
  if (jobs.isEmpty()) {
    if (dir.exists() && !dir.removeRecursively()) {
      if (error) *error = QStringLiteral("cannot remove %1").arg(dir.path());
      return false;
    }
    return true;
  }
  if (!QDir().mkpath(dir.path())) {
    if (error) *error = QStringLiteral("cannot create %1").arg(dir.path());
    return false;
  }
  QSet<QString> keep{kIndexName};
  for (const JobRecord& job : jobs) {
    const QStringList names = candidateFileNames(job);
    for (int i = 0; i < job.candidates.size(); ++i) {
      const CandidateEntry& c = job.candidates[i];
      const QString thumb = thumbnailName(names[i]);
      keep.insert(names[i]);
      keep.insert(thumb);
      // Candidates never change: a file already there is this candidate. One restored
      // without its image has its file already (else it would not have been restored).
      if (c.image.isNull()) continue;
      if (!QFileInfo::exists(dir.filePath(names[i])) &&
          !writePngAtomically(dir.filePath(names[i]), c.image, error))
        return false;
      if (!QFileInfo::exists(dir.filePath(thumb)) &&
          !writePngAtomically(
              dir.filePath(thumb),
              c.thumbnail.isNull() ? CandidateModel::makeThumbnail(c.image) : c.thumbnail, error))
        return false;
    }
  }
  if (!writeAtomically(dir.filePath(kIndexName), writeHistoryIndex(indexOf(key, imageName, jobs)),
                       error))
    return false;
  for (const QString& name : dir.entryList(QDir::Files))
    if (!keep.contains(name)) dir.remove(name);
  return true;
}

qint64 HistoryStore::sizeBytes() const {
  qint64 total = 0;
  QDirIterator it(m_dir, QDir::Files, QDirIterator::Subdirectories);
  while (it.hasNext()) {
    it.next();
    total += it.fileInfo().size();
  }
  return total;
}

QStringList HistoryStore::enforceCap(qint64 capBytes, const QString& openKey,
                                     QStringList* removedOpenJobs) {
  QStringList removed;
  qint64 total = sizeBytes();
  if (total <= capBytes) return removed;
  struct Candidate {
    QString key;
    int job;
    QDateTime started;
  };
  QHash<QString, HistoryIndex> indices;
  QVector<Candidate> order;
  for (const QString& key : QDir(m_dir).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
    QStringList problems;
    const HistoryIndex index =
        parseHistoryIndex(readAll(QDir(imageDir(key)).filePath(kIndexName), nullptr), &problems);
    if (index.imageSha256 != key) continue;  // not ours to clean up
    indices.insert(key, index);
    for (int j = 0; j < index.jobs.size(); ++j) {
      const bool newestOfOpen = key == openKey && j == index.jobs.size() - 1;
      if (!newestOfOpen) order.append({key, j, index.jobs[j].started});
    }
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const Candidate& a, const Candidate& b) { return a.started < b.started; });
  QHash<QString, QSet<QString>> dropped;  // job ids by image
  for (const Candidate& c : order) {
    if (total <= capBytes) break;
    const HistoryIndex& index = indices[c.key];
    const HistoryJobEntry& job = index.jobs[c.job];
    QDir dir(imageDir(c.key));
    for (const HistoryCandidateFile& file : job.candidates)
      for (const QString& name : {file.file, thumbnailName(file.file)}) {
        total -= QFileInfo(dir.filePath(name)).size();
        dir.remove(name);
      }
    dropped[c.key].insert(job.id);
    removed << QStringLiteral("%1: '%2' of %3")
                   .arg(index.imageName.isEmpty() ? c.key.left(12) : index.imageName, job.prompt,
                        job.started.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")));
    if (c.key == openKey && removedOpenJobs) removedOpenJobs->append(job.id);
  }
  for (auto it = dropped.constBegin(); it != dropped.constEnd(); ++it) {
    HistoryIndex index = indices[it.key()];
    index.jobs.erase(
        std::remove_if(index.jobs.begin(), index.jobs.end(),
                       [&](const HistoryJobEntry& j) { return it.value().contains(j.id); }),
        index.jobs.end());
    QDir dir(imageDir(it.key()));
    if (index.jobs.isEmpty())
      dir.removeRecursively();
    else
      writeAtomically(dir.filePath(kIndexName), writeHistoryIndex(index), nullptr);
  }
  return removed;
}

}  // namespace bd::ui
