#include "history_index.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QRegularExpression>
#include <QSet>
#include <cmath>

namespace bd::ui {

namespace {

const QString kFormat = QStringLiteral("blendiff-history");
const QStringList kStates = {QStringLiteral("done"), QStringLiteral("cancelled"),
                             QStringLiteral("failed")};
constexpr int kMaxText = 100'000;  // prompts and parameter lines are far shorter
constexpr int kMaxCounter = 1'000'000;

QString isoUtc(const QDateTime& t) { return t.toUTC().toString(Qt::ISODateWithMs); }

// Reads the fields of one JSON object, collecting a problem for each bad one under the
// object's place in the file.
class Fields {
 public:
  Fields(const QJsonObject& object, QString where, QStringList* problems)
      : m_object(object), m_where(std::move(where)), m_problems(problems) {}
  bool ok() const { return m_ok; }

  void problem(const QString& field, const QString& what) {
    m_ok = false;
    if (m_problems) m_problems->append(QStringLiteral("%1.%2: %3").arg(m_where, field, what));
  }

  QString text(const QString& field, bool required = true) {
    const QJsonValue v = m_object.value(field);
    if (v.isUndefined() && !required) return {};
    if (!v.isString()) {
      problem(field, v.isUndefined() ? QStringLiteral("missing") : QStringLiteral("not a string"));
      return {};
    }
    const QString s = v.toString();
    // A lone surrogate cannot be written back as UTF-8: it would not read back the same.
    if (s.size() > kMaxText)
      problem(field, QStringLiteral("longer than %1 characters").arg(kMaxText));
    else if (!QStringView(s).isValidUtf16())
      problem(field, QStringLiteral("not valid Unicode"));
    return s;
  }

  double number(const QString& field) {
    const QJsonValue v = m_object.value(field);
    if (!v.isDouble() || !std::isfinite(v.toDouble())) {
      problem(field, v.isUndefined() ? QStringLiteral("missing") : QStringLiteral("not a number"));
      return 0.0;
    }
    return v.toDouble();
  }

  int counter(const QString& field) {
    const double d = number(field);
    if (d < 0 || d > kMaxCounter || d != std::floor(d)) {
      problem(field, QStringLiteral("not a whole number from 0 to %1").arg(kMaxCounter));
      return 0;
    }
    return static_cast<int>(d);
  }

  bool flag(const QString& field) {
    const QJsonValue v = m_object.value(field);
    if (v.isUndefined()) return false;
    if (!v.isBool()) problem(field, QStringLiteral("not true or false"));
    return v.toBool();
  }

  quint64 seed(const QString& field) {
    const QString s = text(field);
    bool ok = false;
    const quint64 value = s.toULongLong(&ok);
    static const QRegularExpression digits(QStringLiteral("^[0-9]{1,20}$"));
    if (!ok || !digits.match(s).hasMatch())
      problem(field, QStringLiteral("not a decimal number of at most 64 bits"));
    return value;
  }

 private:
  QJsonObject m_object;
  QString m_where;
  QStringList* m_problems;
  bool m_ok = true;
};

bool readCandidate(const QJsonValue& value, const QString& where, QSet<QString>* files,
                   HistoryCandidateFile* out, QStringList* problems) {
  if (!value.isObject()) {
    if (problems) problems->append(where + QStringLiteral(": not an object"));
    return false;
  }
  Fields f(value.toObject(), where, problems);
  HistoryCandidateFile c;
  c.file = f.text(QStringLiteral("file"));
  if (f.ok() && !isHistoryFileName(c.file))
    f.problem(QStringLiteral("file"),
              QStringLiteral("'%1' is not a plain .png file name").arg(c.file));
  else if (f.ok() && files->contains(c.file))
    f.problem(QStringLiteral("file"), QStringLiteral("'%1' is named twice").arg(c.file));
  c.score = f.number(QStringLiteral("score"));
  c.seed = f.seed(QStringLiteral("seed"));
  c.iteration = f.counter(QStringLiteral("iteration"));
  c.index = f.counter(QStringLiteral("index"));
  c.seconds = f.number(QStringLiteral("seconds"));
  if (c.seconds < 0) f.problem(QStringLiteral("seconds"), QStringLiteral("negative"));
  c.parameters = f.text(QStringLiteral("parameters"));
  c.exported = f.flag(QStringLiteral("exported"));
  c.applied = f.flag(QStringLiteral("applied"));
  if (!f.ok()) return false;
  files->insert(c.file);
  *out = c;
  return true;
}

bool readJob(const QJsonValue& value, const QString& where, QSet<QString>* ids,
             QSet<QString>* files, HistoryJobEntry* out, QStringList* problems) {
  if (!value.isObject()) {
    if (problems) problems->append(where + QStringLiteral(": not an object"));
    return false;
  }
  const QJsonObject object = value.toObject();
  Fields f(object, where, problems);
  HistoryJobEntry job;
  job.id = f.text(QStringLiteral("id"));
  static const QRegularExpression idPattern(QStringLiteral("^[A-Za-z0-9-]{1,64}$"));
  if (f.ok() && !idPattern.match(job.id).hasMatch())
    f.problem(QStringLiteral("id"),
              QStringLiteral("'%1' is not letters, digits and '-'").arg(job.id));
  else if (f.ok() && ids->contains(job.id))
    f.problem(QStringLiteral("id"), QStringLiteral("'%1' is used twice").arg(job.id));
  job.prompt = f.text(QStringLiteral("prompt"));
  job.parameters = f.text(QStringLiteral("parameters"));
  job.pack = f.text(QStringLiteral("pack"));
  const QString started = f.text(QStringLiteral("started"));
  job.started = QDateTime::fromString(started, Qt::ISODateWithMs).toUTC();
  if (!job.started.isValid() || job.started.date().year() < 1970 ||
      job.started.date().year() > 9999)
    f.problem(QStringLiteral("started"),
              QStringLiteral("'%1' is not an ISO date and time from 1970 on").arg(started));
  job.state = f.text(QStringLiteral("state"));
  if (!kStates.contains(job.state))
    f.problem(QStringLiteral("state"),
              QStringLiteral("'%1' is not one of %2").arg(job.state, kStates.join(", ")));
  const QJsonValue list = object.value(QStringLiteral("candidates"));
  if (!list.isArray()) f.problem(QStringLiteral("candidates"), QStringLiteral("not a list"));
  if (!f.ok()) return false;
  // Candidates of a job that is left out do not reserve their file names.
  QSet<QString> jobFiles = *files;
  const QJsonArray candidates = list.toArray();
  for (int i = 0; i < candidates.size(); ++i) {
    HistoryCandidateFile c;
    if (readCandidate(candidates[i], QStringLiteral("%1.candidates[%2]").arg(where).arg(i),
                      &jobFiles, &c, problems))
      job.candidates.append(c);
  }
  *files = jobFiles;
  ids->insert(job.id);
  *out = job;
  return true;
}

}  // namespace

bool operator==(const HistoryCandidateFile& a, const HistoryCandidateFile& b) {
  return a.file == b.file && a.score == b.score && a.seed == b.seed && a.iteration == b.iteration &&
         a.index == b.index && a.seconds == b.seconds && a.parameters == b.parameters &&
         a.exported == b.exported && a.applied == b.applied;
}

bool operator==(const HistoryJobEntry& a, const HistoryJobEntry& b) {
  return a.id == b.id && a.prompt == b.prompt && a.parameters == b.parameters && a.pack == b.pack &&
         a.started == b.started && a.state == b.state && a.candidates == b.candidates;
}

bool operator==(const HistoryIndex& a, const HistoryIndex& b) {
  return a.imageSha256 == b.imageSha256 && a.imageName == b.imageName && a.jobs == b.jobs;
}

bool isHistoryFileName(const QString& name) {
  static const QRegularExpression pattern(QStringLiteral("^[A-Za-z0-9_-]{1,120}\\.png$"));
  return pattern.match(name).hasMatch();
}

QByteArray writeHistoryIndex(const HistoryIndex& index) {
  QJsonArray jobs;
  for (const HistoryJobEntry& job : index.jobs) {
    QJsonArray candidates;
    for (const HistoryCandidateFile& c : job.candidates)
      candidates.append(QJsonObject{{"file", c.file},
                                    {"score", c.score},
                                    {"seed", QString::number(c.seed)},
                                    {"iteration", c.iteration},
                                    {"index", c.index},
                                    {"seconds", c.seconds},
                                    {"parameters", c.parameters},
                                    {"exported", c.exported},
                                    {"applied", c.applied}});
    jobs.append(QJsonObject{{"id", job.id},
                            {"prompt", job.prompt},
                            {"parameters", job.parameters},
                            {"pack", job.pack},
                            {"started", isoUtc(job.started)},
                            {"state", job.state},
                            {"candidates", candidates}});
  }
  const QJsonObject root{
      {"format", kFormat},
      {"version", kHistoryIndexVersion},
      {"image", QJsonObject{{"sha256", index.imageSha256}, {"name", index.imageName}}},
      {"jobs", jobs}};
  return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

HistoryIndex parseHistoryIndex(const QByteArray& json, QStringList* problems) {
  auto fail = [problems](const QString& why) {
    if (problems) problems->append(why);
    return HistoryIndex{};
  };
  QJsonParseError error{};
  const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
  if (error.error != QJsonParseError::NoError)
    return fail(
        QStringLiteral("not JSON (%1 at byte %2)").arg(error.errorString()).arg(error.offset));
  if (!doc.isObject()) return fail(QStringLiteral("not a JSON object"));
  const QJsonObject root = doc.object();
  if (root.value(QStringLiteral("format")).toString() != kFormat)
    return fail(QStringLiteral("format: not '%1'").arg(kFormat));
  const QJsonValue version = root.value(QStringLiteral("version"));
  if (!version.isDouble() || version.toDouble() != kHistoryIndexVersion)
    return fail(QStringLiteral("version: %1 is not %2, the version this Blendiff reads")
                    .arg(version.isDouble() ? QString::number(version.toDouble())
                                            : QStringLiteral("missing"))
                    .arg(kHistoryIndexVersion));
  HistoryIndex index;
  Fields image(root.value(QStringLiteral("image")).toObject(), QStringLiteral("image"), problems);
  index.imageSha256 = image.text(QStringLiteral("sha256"));
  static const QRegularExpression hex(QStringLiteral("^[0-9a-f]{64}$"));
  if (image.ok() && !hex.match(index.imageSha256).hasMatch())
    image.problem(QStringLiteral("sha256"), QStringLiteral("not 64 lower-case hex digits"));
  index.imageName = image.text(QStringLiteral("name"));
  if (!image.ok()) return HistoryIndex{};
  const QJsonValue jobs = root.value(QStringLiteral("jobs"));
  if (!jobs.isArray()) return fail(QStringLiteral("jobs: not a list"));
  QSet<QString> ids;
  QSet<QString> files;
  const QJsonArray list = jobs.toArray();
  for (int i = 0; i < list.size(); ++i) {
    HistoryJobEntry job;
    if (readJob(list[i], QStringLiteral("jobs[%1]").arg(i), &ids, &files, &job, problems))
      index.jobs.append(job);
  }
  return index;
}

}  // namespace bd::ui
