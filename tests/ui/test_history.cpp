// The history of edit jobs, kept between sessions: the index file (written, read back,
// and every kind of damage named), the store (candidates as PNGs, one index per image,
// keyed by the file's content), the keeper that brings a reopened image's jobs back into
// its document, the size cap's clean-up (oldest first, and it says which), and the History
// panel that shows any candidate of any job.
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QtTest/QtTest>

#include "document.h"
#include "history_index.h"
#include "history_keeper.h"
#include "history_panel.h"
#include "history_store.h"
#include "ui_test_support.h"

using bd::test::flatCandidate;
using bd::test::sceneImage;
using bd::ui::Document;
using bd::ui::HistoryIndex;
using bd::ui::HistoryKeeper;
using bd::ui::HistoryPanel;
using bd::ui::HistoryStore;
using bd::ui::JobRecord;

namespace {

// Two finished jobs on `doc`: "red" with three candidates (one exported), "blue" with one.
void addTwoJobs(Document* doc) {
  const QSize size = doc->size();
  const int red = doc->beginJob("red", "Steps: 50, Seed: 4", "ToyWorld");
  for (quint64 seed : {7u, 5u, 9u}) {
    bd::ui::CandidateEntry c = flatCandidate(seed / 10.0, seed, size);
    c.iteration = 0;
    c.index = int(seed);
    c.parameters = QStringLiteral("red\nSteps: 50, Seed: %1").arg(seed);
    doc->addCandidate(red, c);
  }
  doc->markCandidateExported(red, 1);
  doc->finishJob(red, JobRecord::State::Done);
  const int blue = doc->beginJob("blue", "Steps: 20", "ToyWorld");
  doc->addCandidate(blue, flatCandidate(0.3, 18446744073709551615ull, size, Qt::blue));
  doc->finishJob(blue, JobRecord::State::Cancelled);
}

QString writeScene(const QString& path, int w = 40, int h = 30) {
  sceneImage(w, h).save(path);
  return path;
}

// A candidate's full image, whether it is in memory or still in its file.
QImage fullImage(const bd::ui::CandidateEntry& c) {
  return (c.image.isNull() ? QImage(c.file) : c.image).convertToFormat(QImage::Format_RGB888);
}

bool sameJobs(const QVector<JobRecord>& a, const QVector<JobRecord>& b, QString* why) {
  if (a.size() != b.size())
    return *why = QStringLiteral("job count %1 vs %2").arg(a.size()).arg(b.size()), false;
  for (int j = 0; j < a.size(); ++j) {
    const JobRecord &x = a[j], &y = b[j];
    if (x.id != y.id || x.prompt != y.prompt || x.parameters != y.parameters || x.pack != y.pack ||
        x.state != y.state || x.started.toMSecsSinceEpoch() != y.started.toMSecsSinceEpoch() ||
        x.candidates.size() != y.candidates.size())
      return *why = QStringLiteral("job %1 differs").arg(j), false;
    for (int r = 0; r < x.candidates.size(); ++r) {
      const auto &c = x.candidates[r], &d = y.candidates[r];
      if (c.seed != d.seed || c.score != d.score || c.parameters != d.parameters ||
          c.exported != d.exported || c.applied != d.applied || c.iteration != d.iteration ||
          c.index != d.index || fullImage(c) != fullImage(d) || fullImage(c).isNull())
        return *why = QStringLiteral("job %1 candidate %2 differs").arg(j).arg(r), false;
    }
  }
  return true;
}

}  // namespace

class TestHistory : public QObject {
  Q_OBJECT

  QTemporaryDir m_tmp;

  QString freshDir(const QString& name) {
    const QString dir = m_tmp.filePath(name);
    QDir(dir).removeRecursively();
    QDir().mkpath(dir);
    return dir;
  }

 private slots:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  void indexRoundTrip() {
    HistoryIndex index;
    index.imageSha256 = QString(64, 'a');
    index.imageName = QStringLiteral("scène.png");
    bd::ui::HistoryJobEntry job;
    job.id = "20261205-120000000-0";
    job.prompt = "a \"red\" ball,\nsecond line";
    job.parameters = "Steps: 50";
    job.pack = "ToyWorld";
    job.started = QDateTime::fromMSecsSinceEpoch(1'796'000'000'123, Qt::UTC);
    job.state = "failed";
    job.candidates.append({"20261205-120000000-0_1_2.png", 0.123456789012345,
                           18446744073709551615ull, 1, 2, 3.25, "x\ny", true, false});
    index.jobs = {job};
    QStringList problems;
    const HistoryIndex back =
        bd::ui::parseHistoryIndex(bd::ui::writeHistoryIndex(index), &problems);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join('\n')));
    QVERIFY(back == index);
    index.jobs[0].candidates[0].seed = 1;  // and the comparison can fail
    QVERIFY(!(back == index));
  }

  void indexNamesEveryProblem_data() {
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QStringList>("expected");  // each must appear in some problem
    QTest::addColumn<int>("jobsKept");
    const QByteArray head =
        "{\"format\": \"blendiff-history\", \"version\": 1, \"image\": {\"sha256\": \"" +
        QByteArray(64, 'b') + "\", \"name\": \"a.png\"}, \"jobs\": [";
    const QByteArray good =
        "{\"id\": \"j1\", \"prompt\": \"p\", \"parameters\": \"\", \"pack\": \"t\", \"started\": "
        "\"2026-12-05T10:00:00.000Z\","
        " \"state\": \"done\", \"candidates\": [{\"file\": \"j1_0_0.png\", \"score\": 1, \"seed\": "
        "\"3\", \"iteration\": 0,"
        " \"index\": 0, \"seconds\": 1, \"parameters\": \"\"}]}";
    QTest::newRow("not json") << QByteArray("{nope") << QStringList{"not JSON"} << 0;
    QTest::newRow("other format") << QByteArray("{\"format\": \"x\", \"version\": 1}")
                                  << QStringList{"format"} << 0;
    QTest::newRow("newer version")
        << QByteArray("{\"format\": \"blendiff-history\", \"version\": 2}")
        << QStringList{"version: 2"} << 0;
    QTest::newRow("bad hash")
        << QByteArray(
               "{\"format\": \"blendiff-history\", \"version\": 1, \"image\": {\"sha256\": \"XY\", "
               "\"name\": \"\"}, \"jobs\": []}")
        << QStringList{"image.sha256"} << 0;
    QTest::newRow("all problems at once")
        << head + good +
               ", {\"id\": \"j1\", \"prompt\": 3, \"parameters\": \"\", \"pack\": \"\", "
               "\"started\": \"yesterday\"," +
               " \"state\": \"lost\", \"candidates\": []}, 7]}"
        << QStringList{"jobs[1].id: 'j1' is used twice", "jobs[1].prompt: not a string",
                       "jobs[1].started", "jobs[1].state: 'lost'", "jobs[2]: not an object"}
        << 1;
    QTest::newRow("bad candidates")
        << head +
               "{\"id\": \"j2\", \"prompt\": \"p\", \"parameters\": \"\", \"pack\": \"t\", \"started\": \"2026-12-05T10:00:00Z\","
               " \"state\": \"done\", \"candidates\": [{\"file\": \"../../etc/passwd.png\", \"score\": 1, \"seed\": \"3\","
               " \"iteration\": 0, \"index\": 0, \"seconds\": 1, \"parameters\": \"\"}, {\"file\": \"ok.png\", \"score\": \"high\","
               " \"seed\": \"18446744073709551616\", \"iteration\": -1, \"index\": 0.5, \"seconds\": -2, \"parameters\": \"\","
               " \"exported\": \"yes\"}, {\"file\": \"fine.png\", \"score\": 2, \"seed\": \"4\", \"iteration\": 1, \"index\": 1,"
               " \"seconds\": 0, \"parameters\": \"\"}]}]}"
        << QStringList{"jobs[0].candidates[0].file: '../../etc/passwd.png' is not a plain .png file name",
                       "candidates[1].score: not a number", "candidates[1].seed", "candidates[1].iteration",
                       "candidates[1].index", "candidates[1].seconds: negative", "candidates[1].exported"}
        << 1;
  }

  void indexNamesEveryProblem() {
    QFETCH(QByteArray, json);
    QFETCH(QStringList, expected);
    QFETCH(int, jobsKept);
    QStringList problems;
    const HistoryIndex index = bd::ui::parseHistoryIndex(json, &problems);
    for (const QString& e : expected)
      QVERIFY2(problems.join('\n').contains(e), qPrintable(e + " not in:\n" + problems.join('\n')));
    QCOMPARE(index.jobs.size(), jobsKept);
    if (QByteArray(QTest::currentDataTag()) == "bad candidates") {
      QCOMPARE(index.jobs[0].candidates.size(), 1);  // the one good candidate stays
      QCOMPARE(index.jobs[0].candidates[0].file, QStringLiteral("fine.png"));
    }
  }

  void storeSavesAndLoadsEveryField() {
    const QString root = freshDir("store");
    Document doc;
    doc.setImage(sceneImage(40, 30));
    addTwoJobs(&doc);
    HistoryStore store(root);
    const QString key = HistoryStore::imageKey(doc.image());
    QString error;
    QVERIFY2(store.save(key, "scene.png", doc.jobs(), &error), qPrintable(error));
    const QDir imageDir(QDir(store.dir()).filePath(key));
    QCOMPARE(imageDir.entryList({"*.png"}).size(), 8);  // each candidate and its thumbnail
    QCOMPARE(imageDir.entryList({"*.thumb.png"}).size(), 4);
    const HistoryStore::Loaded loaded = store.load(key);
    QVERIFY2(loaded.problems.isEmpty(), qPrintable(loaded.problems.join('\n')));
    QString why;
    QVERIFY2(sameJobs(loaded.jobs, doc.jobs(), &why), qPrintable(why));
    for (const JobRecord& job : loaded.jobs) QVERIFY(job.restored);
    // Restored candidates hold their thumbnail; the full image is read when needed.
    const bd::ui::CandidateEntry& restored = loaded.jobs[0].candidates[0];
    QVERIFY(restored.image.isNull());
    QVERIFY(!restored.thumbnail.isNull());
    QVERIFY(QFileInfo(restored.file).isAbsolute());
    Document reopened;
    reopened.setImage(sceneImage(40, 30));
    reopened.setJobs(loaded.jobs);
    QCOMPARE(reopened.candidateImage(0, 0).convertToFormat(QImage::Format_RGB888),
             doc.jobs()[0].candidates[0].image.convertToFormat(QImage::Format_RGB888));
    QVERIFY(!reopened.jobs()[0].candidates[0].image.isNull());  // kept once read
    QCOMPARE(loaded.jobs[1].candidates[0].seed, 18446744073709551615ull);

    // A discarded candidate's file goes with it; no job left removes the image's folder.
    doc.removeCandidate(0, 0);
    QVERIFY(store.save(key, "scene.png", doc.jobs(), &error));
    QCOMPARE(QDir(QDir(store.dir()).filePath(key)).entryList({"*.png"}).size(), 6);
    QVERIFY(store.save(key, "scene.png", {}, &error));
    QVERIFY(!QDir(QDir(store.dir()).filePath(key)).exists());
  }

  void storeReportsDamageAndKeepsTheRest() {
    const QString root = freshDir("damaged");
    Document doc;
    doc.setImage(sceneImage(40, 30));
    addTwoJobs(&doc);
    HistoryStore store(root);
    const QString key = HistoryStore::imageKey(doc.image());
    QVERIFY(store.save(key, "scene.png", doc.jobs()));
    const QDir dir(QDir(store.dir()).filePath(key));
    const QString lost = HistoryStore::candidateFileNames(doc.jobs()[0]).front();
    QVERIFY(QFile::remove(dir.filePath(lost)));
    HistoryStore::Loaded loaded = store.load(key);
    QCOMPARE(loaded.problems.size(), 1);
    QVERIFY(loaded.problems[0].contains(lost));
    QCOMPARE(loaded.jobs.size(), 2);
    QCOMPARE(loaded.jobs[0].candidates.size(), 2);

    QFile index(dir.filePath("index.json"));
    QVERIFY(index.open(QIODevice::WriteOnly));
    index.write("{\"format\": \"blendiff-history\", \"version\": 1, \"jobs\": 5");
    index.close();
    loaded = store.load(key);
    QVERIFY(loaded.jobs.isEmpty());
    QVERIFY(loaded.problems.join('\n').contains("index.json: not JSON"));
  }

  void reopeningTheFileBringsItsHistoryBack() {
    const QString root = freshDir("reopen");
    const QString path = writeScene(m_tmp.filePath("photo.png"));
    QVector<JobRecord> before;
    {
      Document doc;
      HistoryKeeper keeper(&doc, root);
      doc.setImage(sceneImage(40, 30), path);
      QVERIFY(doc.jobs().isEmpty());
      addTwoJobs(&doc);
      before = doc.jobs();
      // Written shortly after each change, and at once when another image replaces it.
      QSignalSpy problems(&keeper, &HistoryKeeper::problemsFound);
      doc.setImage(sceneImage(20, 20));
      QVERIFY(problems.isEmpty());
    }
    // A renamed copy of the same bytes is the same image.
    const QString renamed = m_tmp.filePath("renamed.png");
    QFile::remove(renamed);
    QVERIFY(QFile::copy(path, renamed));
    Document doc;
    HistoryKeeper keeper(&doc, root);
    QSignalSpy restored(&keeper, &HistoryKeeper::restored);
    doc.setImage(sceneImage(40, 30), renamed);
    QCOMPARE(restored.count(), 1);
    QCOMPARE(restored.first().at(0).toInt(), 2);
    QCOMPARE(restored.first().at(1).toInt(), 4);
    QString why;
    QVERIFY2(sameJobs(doc.jobs(), before, &why), qPrintable(why));
    QCOMPARE(doc.currentJob(), 1);
    // Restored candidates were there before this session: quitting does not mention them.
    QCOMPARE(doc.unkeptCandidateCount(), 0);

    // Another file's bytes: another history (none).
    const QString other = writeScene(m_tmp.filePath("other.png"), 41, 30);
    doc.setImage(sceneImage(41, 30), other);
    QVERIFY(doc.jobs().isEmpty());
  }

  void newJobsAfterARestoreAreAddedNotReplaced() {
    const QString root = freshDir("append");
    const QString path = writeScene(m_tmp.filePath("append.png"));
    {
      Document doc;
      HistoryKeeper keeper(&doc, root);
      doc.setImage(sceneImage(40, 30), path);
      addTwoJobs(&doc);
      QVERIFY(keeper.flush());
    }
    {
      Document doc;
      HistoryKeeper keeper(&doc, root);
      doc.setImage(sceneImage(40, 30), path);
      const int job = doc.beginJob("green", "Steps: 5", "ToyWorld");
      doc.addCandidate(job, flatCandidate(0.1, 42, doc.size()));
      doc.finishJob(job, JobRecord::State::Done);
      QCOMPARE(doc.unkeptCandidateCount(), 1);
      QVERIFY(keeper.flush());
    }
    Document doc;
    HistoryKeeper keeper(&doc, root);
    doc.setImage(sceneImage(40, 30), path);
    QCOMPARE(doc.jobs().size(), 3);
    QCOMPARE(doc.jobs()[2].prompt, QStringLiteral("green"));
  }

  void sizeCapRemovesTheOldestJobsFirst() {
    const QString root = freshDir("cap");
    HistoryStore store(root);
    // Three images, each with jobs of known times; every candidate a 64x64 PNG.
    auto job = [](const QString& id, const QString& prompt, qint64 minutes) {
      JobRecord j;
      j.id = id;
      j.prompt = prompt;
      j.started = QDateTime::fromMSecsSinceEpoch(1'796'000'000'000 + minutes * 60'000, Qt::UTC);
      j.state = JobRecord::State::Done;
      j.candidates = {flatCandidate(0.5, quint64(minutes), QSize(64, 64))};
      j.candidates[0].image = sceneImage(64, 64);
      return j;
    };
    const QString a(64, 'a'), b(64, 'b'), open(64, 'c');
    QVERIFY(store.save(a, "a.png", {job("a1", "oldest", 1), job("a2", "fourth", 4)}));
    QVERIFY(store.save(b, "b.png", {job("b1", "second", 2)}));
    QVERIFY(store.save(open, "open.png", {job("c1", "third", 3), job("c2", "newest", 5)}));
    const qint64 total = store.sizeBytes();
    QVERIFY(store.enforceCap(total, open).isEmpty());  // under the cap: nothing goes
    // Every job holds one PNG (and its thumbnail) of the same size; clean-up counts the
    // files it removes.
    const QDir aDir(QDir(store.dir()).filePath(a));
    const qint64 png = QFileInfo(aDir.filePath("a1_0_0.png")).size() +
                       QFileInfo(aDir.filePath("a1_0_0.thumb.png")).size();
    QVERIFY(png > 0);
    QStringList removedOpen;
    // Room for about two and a half jobs less: the three oldest go, whatever image they
    // belong to.
    const QStringList removed = store.enforceCap(total - 2 * png - png / 2, open, &removedOpen);
    QCOMPARE(removed.size(), 3);
    QVERIFY(removed[0].startsWith("a.png: 'oldest'"));
    QVERIFY(removed[1].startsWith("b.png: 'second'"));
    QVERIFY(removed[2].startsWith("open.png: 'third'"));
    QCOMPARE(removedOpen, QStringList{"c1"});
    QVERIFY(!QDir(QDir(store.dir()).filePath(b)).exists());  // no job left: folder gone
    QCOMPARE(store.load(a).jobs.size(), 1);
    QCOMPARE(store.load(open).jobs.size(), 1);
    // The open image's newest job stays even when the cap cannot be met.
    store.enforceCap(0, open);
    QCOMPARE(store.load(open).jobs.size(), 1);
    QCOMPARE(store.load(a).jobs.size(), 0);
  }

  void keeperDropsJobsTheCapRemoved() {
    const QString root = freshDir("keepercap");
    Document doc;
    HistoryKeeper keeper(&doc, root);
    doc.setImage(sceneImage(64, 64));
    addTwoJobs(&doc);
    QVERIFY(keeper.flush());
    QSignalSpy cleaned(&keeper, &HistoryKeeper::cleanedUp);
    keeper.setCapBytes(1);
    const int job = doc.beginJob("third", "", "ToyWorld");
    doc.finishJob(job, JobRecord::State::Done);
    QVERIFY(keeper.flush());
    QCOMPARE(cleaned.count(), 1);
    QCOMPARE(cleaned.first().at(0).toStringList().size(), 2);
    QCOMPARE(doc.jobs().size(), 1);
    QCOMPARE(doc.jobs()[0].prompt, QStringLiteral("third"));
  }

  void panelShowsEveryJobNewestFirst() {
    Document doc;
    doc.setImage(sceneImage(40, 30));
    HistoryPanel panel(&doc);
    QCOMPARE(panel.tree()->topLevelItemCount(), 0);
    addTwoJobs(&doc);
    QTreeWidget* tree = panel.tree();
    QCOMPARE(tree->topLevelItemCount(), 2);
    QVERIFY(tree->topLevelItem(0)->text(0).contains("blue"));
    QVERIFY(tree->topLevelItem(1)->text(0).contains("red"));
    QVERIFY(tree->topLevelItem(1)->text(0).contains("ToyWorld"));
    QCOMPARE(tree->topLevelItem(1)->toolTip(0), QStringLiteral("Steps: 50, Seed: 4"));
    QCOMPARE(tree->topLevelItem(1)->childCount(), 3);
    QVERIFY(tree->topLevelItem(1)->child(0)->text(0).contains("seed 5"));  // best first
    QVERIFY(tree->topLevelItem(1)->child(1)->text(0).contains("exported"));
    QVERIFY(!tree->topLevelItem(1)->child(0)->icon(0).isNull());

    // Selecting a candidate of an older job asks to show it; the document's choice is
    // followed back.
    QSignalSpy show(&panel, &HistoryPanel::showRequested);
    QSignalSpy apply(&panel, &HistoryPanel::applyRequested);
    tree->setCurrentItem(tree->topLevelItem(1)->child(2));
    QCOMPARE(show.count(), 1);
    QCOMPARE(show.first().at(0).toInt(), 0);
    QCOMPARE(show.first().at(1).toInt(), 2);
    panel.findChildren<QPushButton*>().at(0)->click();  // Apply
    QCOMPARE(apply.count(), 1);
    QCOMPARE(apply.first().at(1).toInt(), 2);
    doc.setCurrentJob(1);
    doc.setShownCandidate(0);
    QCOMPARE(panel.selectedCandidate(), qMakePair(1, 0));
    QCOMPARE(show.count(), 1);  // following the document is not a request
    doc.setShownCandidate(-1);
    QCOMPARE(panel.selectedCandidate(), qMakePair(-1, -1));
  }

  void jobRemovalKeepsTheDocumentConsistent() {
    Document doc;
    doc.setImage(sceneImage(40, 30));
    addTwoJobs(&doc);
    QSignalSpy removed(&doc, &Document::jobRemoved);
    doc.setCurrentJob(1);
    QVERIFY(doc.removeJob(0));
    QCOMPARE(removed.count(), 1);
    QCOMPARE(doc.currentJob(), 0);
    QCOMPARE(doc.jobs()[0].prompt, QStringLiteral("blue"));
    const int running = doc.beginJob("running", "", "t");
    QVERIFY(!doc.removeJob(running));  // a running job stays
    QVERIFY(doc.removeJob(0));
    QCOMPARE(doc.currentJob(), 0);
    QCOMPARE(doc.jobs()[0].prompt, QStringLiteral("running"));
  }
};

QTEST_MAIN(TestHistory)
#include "test_history.moc"
