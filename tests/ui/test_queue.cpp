// The queue of edit jobs, against the real engine and a real pack (ToyWorld when it is in
// models/, else the reference test pack): a Generate while an edit runs waits its turn,
// the worker runs the queue in order, each waiting job keeps the mask it was asked with,
// any waiting job can be cancelled, and a new image drops the queue. Also: any candidate
// of an older job re-runs with that job's prompt, and applying it is one undo step.
// First: it includes torch, whose headers break after Qt's `slots` macro is defined.
#include "test_support.h"

#include <QSignalSpy>
#include <QUndoStack>
#include <QtTest/QtTest>

#include "bd/paths.h"
#include "document.h"
#include "edit_controller.h"
#include "mask_ops.h"
#include "test_pack.h"
#include "ui_test_support.h"

using bd::gui::EditController;
using bd::test::sceneImage;
using bd::ui::Document;
using bd::ui::JobRecord;

class TestQueue : public QObject {
  Q_OBJECT

  std::unique_ptr<Document> m_doc;
  std::unique_ptr<EditController> m_controller;

  // Few steps, one candidate: the queue's behaviour, not the edit's quality, is tested.
  bd::EditParams quickParams() const {
    bd::EditParams p = m_controller->pack().defaults;
    p.timestep_respacing = "10";
    p.skip_timesteps = 4;
    p.batch_size = 1;
    p.iterations = 1;
    p.seed = 11;
    return p;
  }

  QStringList prompts() const {
    QStringList list;
    for (const JobRecord& job : m_doc->jobs()) list << job.prompt;
    return list;
  }

  bool waitIdle() {
    return QTest::qWaitFor(
        [this] { return !m_controller->isBusy() && m_controller->queuedJobs().isEmpty(); },
        300'000);
  }

 private slots:
  void initTestCase() {
    const std::string toy = bd::default_pack_dir();
    const QString packDir =
        !toy.empty() ? QString::fromStdString(toy)
                     : QString::fromStdString(
                           bd::test::make_reference_test_pack(bd::test::scratch_dir("queue_pack")));
    m_doc = std::make_unique<Document>();
    m_controller = std::make_unique<EditController>(m_doc.get(), nullptr, "cpu", 2);
    QSignalSpy ready(m_controller.get(), &EditController::packReady);
    QSignalSpy failed(m_controller.get(), &EditController::packFailed);
    m_controller->loadPack(packDir);
    QTRY_VERIFY_WITH_TIMEOUT(ready.count() + failed.count() > 0, 300'000);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(2).toString()));
  }

  void init() {
    m_controller->setImage(sceneImage(64, 48), QString());
    m_doc->fillRect(QRect(4, 4, 16, 16));
  }

  void queuedJobsRunInOrderWithTheirOwnMask() {
    QSignalSpy queue(m_controller.get(), &EditController::queueChanged);
    QSignalSpy finished(m_controller.get(), &EditController::editFinished);
    QVERIFY(m_controller->generate("first", quickParams()));
    QVERIFY(m_controller->isBusy());
    QVERIFY(m_controller->generate("second", quickParams()));
    // Painting on while it waits: the third job gets the new mask, the second keeps its own.
    m_doc->clearMask();
    m_doc->fillRect(QRect(40, 26, 16, 16));
    QVERIFY(m_controller->generate("third", quickParams()));
    const QVector<bd::ui::QueuedJobInfo> waiting = m_controller->queuedJobs();
    QCOMPARE(waiting.size(), 2);
    QCOMPARE(waiting[0].prompt, QStringLiteral("second"));
    QCOMPARE(waiting[1].prompt, QStringLiteral("third"));
    QVERIFY(waiting[0].parameters.contains("Seed: 11"));
    QVERIFY(waiting[0].id < waiting[1].id);
    QCOMPARE(queue.count(), 2);
    QCOMPARE(m_doc->jobs().size(), 1);  // a job enters the history when it starts

    QVERIFY(waitIdle());
    QCOMPARE(finished.count(), 3);
    QCOMPARE(prompts(), (QStringList{"first", "second", "third"}));
    for (const JobRecord& job : m_doc->jobs()) {
      QVERIFY(job.state == JobRecord::State::Done);
      QCOMPARE(job.candidates.size(), 1);
    }
    // Each candidate changed only where its own job's mask was: the second job's result
    // is the original in the third job's square, the third's in the second's.
    const QImage original = m_doc->image().convertToFormat(QImage::Format_RGB888);
    auto changedIn = [&](int job, const QRect& r) {
      const QImage c =
          m_doc->jobs()[job].candidates[0].image.convertToFormat(QImage::Format_RGB888);
      return c.copy(r) != original.copy(r);
    };
    const QRect firstSquare(6, 6, 12, 12), secondSquare(42, 28, 12, 12);
    QVERIFY(changedIn(1, firstSquare));
    QVERIFY(!changedIn(1, secondSquare));
    QVERIFY(changedIn(2, secondSquare));
    QVERIFY(!changedIn(2, firstSquare));
  }

  void waitingJobsCanBeCancelled() {
    QVERIFY(m_controller->generate("runs", quickParams()));
    QVERIFY(m_controller->generate("cancelled", quickParams()));
    QVERIFY(m_controller->generate("kept", quickParams()));
    QVERIFY(m_controller->generate("also cancelled", quickParams()));
    const QVector<bd::ui::QueuedJobInfo> waiting = m_controller->queuedJobs();
    QCOMPARE(waiting.size(), 3);
    QVERIFY(m_controller->cancelQueued(waiting[0].id));
    QVERIFY(m_controller->cancelQueued(waiting[2].id));
    QVERIFY(!m_controller->cancelQueued(waiting[2].id));  // already gone
    QCOMPARE(m_controller->queuedJobs().size(), 1);
    QCOMPARE(m_controller->queuedJobs()[0].prompt, QStringLiteral("kept"));
    QVERIFY(waitIdle());
    QCOMPARE(prompts(), (QStringList{"runs", "kept"}));
  }

  void cancellingTheRunningJobStartsTheNext() {
    bd::EditParams slow = quickParams();
    slow.timestep_respacing = "200";
    slow.skip_timesteps = 0;
    QSignalSpy progress(m_controller.get(), &EditController::progress);
    QSignalSpy cancelled(m_controller.get(), &EditController::editCancelled);
    QVERIFY(m_controller->generate("slow", slow));
    QVERIFY(m_controller->generate("next", quickParams()));
    QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= 1, 120'000);
    m_controller->cancel();
    QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, 60'000);
    QVERIFY(waitIdle());
    QCOMPARE(prompts(), (QStringList{"slow", "next"}));
    QVERIFY(m_doc->jobs()[0].state == JobRecord::State::Cancelled);
    QVERIFY(m_doc->jobs()[1].state == JobRecord::State::Done);
  }

  void aNewImageDropsTheQueue() {
    QSignalSpy cancelled(m_controller.get(), &EditController::editCancelled);
    QVERIFY(m_controller->generate("runs", quickParams()));
    QVERIFY(m_controller->generate("dropped", quickParams()));
    m_controller->setImage(sceneImage(32, 32), QString());
    QVERIFY(m_controller->queuedJobs().isEmpty());
    QVERIFY(waitIdle());
    QVERIFY(m_doc->jobs().isEmpty());  // the new document has none of them
  }

  void anOlderJobsCandidateReRunsWithItsOwnPrompt() {
    bd::EditParams p = quickParams();
    p.batch_size = 2;
    p.seed = 21;
    QVERIFY(m_controller->generate("older", p));
    QVERIFY(m_controller->generate("newer", quickParams()));
    QVERIFY(waitIdle());
    QCOMPARE(m_doc->currentJob(), 1);
    const bd::ui::CandidateEntry target = m_doc->jobs()[0].candidates[1];
    QVERIFY(m_controller->rerunCandidate(0, 1));
    QVERIFY(waitIdle());
    QCOMPARE(m_doc->jobs().size(), 3);
    const JobRecord& rerun = m_doc->jobs()[2];
    QCOMPARE(rerun.prompt, QStringLiteral("older"));
    QCOMPARE(rerun.candidates.size(), 1);
    QCOMPARE(rerun.candidates[0].seed, target.seed);
    QVERIFY(m_controller->lastParams().seed == target.seed);
    QCOMPARE(m_controller->lastParams().batch_size, 1);
    // The same candidate up to rounding (alone it runs as a batch of one): its job's
    // parameters came back whole from the candidate's parameters text.
    const int maxDiff = bd::test::maxChannelDifference(rerun.candidates[0].image, target.image);
    QVERIFY2(maxDiff >= 0, "another size");
    QVERIFY2(maxDiff <= 1, qPrintable(QString("max difference %1").arg(maxDiff)));

    // Applying a candidate of an older job: one undo step, and it counts as kept.
    const QImage before = m_doc->image();
    const int steps = m_doc->undoStack()->count();
    QVERIFY(m_doc->unkeptCandidateCount() > 0);
    const int unkept = m_doc->unkeptCandidateCount();
    m_controller->applyCandidate(0, 1);
    QCOMPARE(m_doc->undoStack()->count(), steps + 1);
    QCOMPARE(m_doc->image(), target.image);
    QVERIFY(m_doc->jobs()[0].candidates[1].applied);
    QCOMPARE(m_doc->unkeptCandidateCount(), unkept - 1);
    m_doc->undoStack()->undo();
    QCOMPARE(m_doc->image(), before);
  }
};

QTEST_MAIN(TestQueue)
#include "test_queue.moc"
