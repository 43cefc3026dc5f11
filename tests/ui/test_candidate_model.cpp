// CandidateModel over a Document: candidates arrive one by one from the worker into the
// document's current job, kept sorted by score (lower CLIP distance first; equal scores
// keep their arrival order), and the model's rows follow; a new job shows its own rows
// while the earlier job stays in the document.
#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest/QtTest>

#include "candidate_model.h"
#include "document.h"
#include "ui_test_support.h"

using bd::ui::CandidateEntry;
using bd::ui::CandidateModel;
using bd::ui::Document;

namespace {

CandidateEntry entry(double score, quint64 seed) {
  CandidateEntry c = bd::test::flatCandidate(score, seed, {64, 48});
  c.parameters = QStringLiteral("prompt\nSeed: %1").arg(seed);
  return c;
}

}  // namespace

Q_DECLARE_METATYPE(QList<double>)

class TestCandidateModel : public QObject {
  Q_OBJECT

 private slots:
  void sortsAsCandidatesArrive_data() {
    QTest::addColumn<QList<double>>("scores");
    QTest::addColumn<QList<int>>("insertRows");
    QTest::addColumn<QList<quint64>>("seedOrder");
    QTest::newRow("ascending") << QList<double>{0.1, 0.2, 0.3} << QList<int>{0, 1, 2}
                               << QList<quint64>{0, 1, 2};
    QTest::newRow("descending") << QList<double>{0.3, 0.2, 0.1} << QList<int>{0, 0, 0}
                                << QList<quint64>{2, 1, 0};
    QTest::newRow("mixed") << QList<double>{0.5, 0.2, 0.9, 0.3} << QList<int>{0, 0, 2, 1}
                           << QList<quint64>{1, 3, 0, 2};
    QTest::newRow("ties keep arrival order")
        << QList<double>{0.4, 0.2, 0.4, 0.2} << QList<int>{0, 0, 2, 1}
        << QList<quint64>{1, 3, 0, 2};
  }
  void sortsAsCandidatesArrive() {
    QFETCH(QList<double>, scores);
    QFETCH(QList<int>, insertRows);
    QFETCH(QList<quint64>, seedOrder);
    Document doc;
    CandidateModel model(&doc);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    const int job = doc.beginJob("prompt", {}, "pack");
    for (int i = 0; i < scores.size(); ++i) {
      QCOMPARE(doc.addCandidate(job, entry(scores[i], quint64(i))), insertRows[i]);
      QCOMPARE(inserted.last().at(1).toInt(), insertRows[i]);
    }
    QCOMPARE(model.rowCount(), scores.size());
    for (int row = 0; row < model.rowCount(); ++row) {
      QCOMPARE(model.data(model.index(row), CandidateModel::SeedRole).value<quint64>(),
               seedOrder[row]);
      QCOMPARE(model.data(model.index(row), CandidateModel::RankRole).toInt(), row + 1);
      if (row > 0)
        QVERIFY(model.data(model.index(row - 1), CandidateModel::ScoreRole).toDouble() <=
                model.data(model.index(row), CandidateModel::ScoreRole).toDouble());
    }
  }

  void showsThumbnailScoreAndSeed() {
    Document doc;
    CandidateModel model(&doc);
    doc.addCandidate(doc.beginJob("prompt", {}, "pack"), entry(0.12345, 404));
    const QModelIndex i = model.index(0);
    const QString text = model.data(i, Qt::DisplayRole).toString();
    QVERIFY2(text.contains("0.1235") && text.contains("404"), qPrintable(text));
    const QImage thumb = model.data(i, Qt::DecorationRole).value<QImage>();
    QCOMPARE(thumb.width(), CandidateModel::kThumbnailSize);
    QCOMPARE(model.data(i, CandidateModel::ImageRole).value<QImage>().size(), QSize(64, 48));
    QVERIFY(model.data(i, CandidateModel::ParametersRole).toString().contains("Seed: 404"));
    QVERIFY(model.data(i, Qt::ToolTipRole).toString().contains("lower is better"));
  }

  void ranksUpdateWhenABetterOneArrives() {
    Document doc;
    CandidateModel model(&doc);
    const int job = doc.beginJob("prompt", {}, "pack");
    doc.addCandidate(job, entry(0.5, 1));
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    doc.addCandidate(job, entry(0.1, 2));
    QCOMPARE(changed.count(), 1);
    QVERIFY(changed.first().at(2).value<QList<int>>().contains(CandidateModel::RankRole));
    QCOMPARE(model.data(model.index(1), CandidateModel::RankRole).toInt(), 2);
  }

  void removeAndNewJobs() {
    Document doc;
    CandidateModel model(&doc);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const int first = doc.beginJob("first", {}, "pack");
    for (int i = 0; i < 4; ++i) doc.addCandidate(first, entry(0.1 * i, quint64(i)));
    doc.removeCandidate(first, 1);
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.data(model.index(1), CandidateModel::SeedRole).value<quint64>(), quint64(2));
    doc.removeCandidate(first, 7);  // out of range: ignored
    QCOMPARE(model.rowCount(), 3);
    // A new job: the model shows its (so far no) rows, the first job keeps its three.
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    const int second = doc.beginJob("second", {}, "pack");
    QCOMPARE(reset.count(), 1);
    QCOMPARE(model.rowCount(), 0);
    doc.addCandidate(second, entry(0.9, 9));
    QCOMPARE(doc.addCandidate(first, entry(0.05, 8)), 1);  // a late arrival for the earlier job
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(doc.jobs()[first].candidates.size(), 4);
    doc.setCurrentJob(first);
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(model.data(model.index(1), CandidateModel::SeedRole).value<quint64>(), quint64(8));
  }
};

QTEST_MAIN(TestCandidateModel)
#include "test_candidate_model.moc"
