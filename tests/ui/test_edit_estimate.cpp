// The CPU edit estimate the editor asks with before a long edit.
#include <QtTest/QtTest>

#include "edit_estimate.h"

using namespace bd::ui;

class TestEditEstimate : public QObject {
  Q_OBJECT
 private slots:
  void candidateStepsFollowTheRespacing() {
    bd::EditParams p;  // "100", 25 skipped, batch 4, 8 iterations
    QCOMPARE(candidateSteps(p), qint64{75 * 4 * 8});
    p.timestep_respacing = "ddim50";
    p.skip_timesteps = 10;
    p.batch_size = 1;
    p.iterations = 1;
    QCOMPARE(candidateSteps(p), qint64{40});
    p.timestep_respacing = "10,20,30";
    QCOMPARE(candidateSteps(p), qint64{50});
    p.skip_timesteps = 100;  // more skipped than there are steps
    QCOMPARE(candidateSteps(p), qint64{0});
  }

  void thePublishedPackOnTwoCoresTakesOverAnHourPerCandidate() {
    bd::EditParams p;
    p.batch_size = 1;
    p.iterations = 1;
    PackInfo pack;
    pack.cpuSecondsPerStep = 52.0;  // models/adm256-clip-vitb16/pack.json
    pack.cpuThreads = 2;
    pack.threads = 2;
    QCOMPARE(estimateCpuEditSeconds(p, pack, 0.0), 75 * 52.0);
    QCOMPARE(describeDuration(75 * 52.0), QStringLiteral("about 65 min"));
    pack.threads = 8;  // four times the cores: a quarter of the time
    QCOMPARE(estimateCpuEditSeconds(p, pack, 0.0), 75 * 13.0);
    // A measurement on this machine wins over the pack's figure.
    QCOMPARE(estimateCpuEditSeconds(p, pack, 2.0), 150.0);
    QCOMPARE(estimateCpuEditSeconds(p, PackInfo{}, 0.0), 0.0);  // nothing known
  }

  void durationsReadNaturally() {
    QCOMPARE(describeDuration(44.6), QStringLiteral("about 45 s"));
    QCOMPARE(describeDuration(600.0), QStringLiteral("about 10 min"));
    QCOMPARE(describeDuration(9.3 * 3600.0), QStringLiteral("about 9.3 h"));
  }
};

QTEST_GUILESS_MAIN(TestEditEstimate)
#include "test_edit_estimate.moc"
