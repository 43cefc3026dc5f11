// EditController against the real engine and a real model pack (ToyWorld when it is in
// models/, else the reference test pack of small random networks): generate -> previews
// -> candidates -> apply -> undo -> export, cancel mid-run, and bad inputs that must
// come back as error signals. Everything lands in a Document; a canvas and a candidate
// model observe it, as in the editor, and show what it holds.
// First: it includes torch, whose headers break after Qt's `slots` macro is defined.
#include "test_support.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest/QtTest>
#include <vector>

#include "bd/image.h"
#include "bd/paths.h"
#include "candidate_model.h"
#include "document.h"
#include "edit_controller.h"
#include "mask_canvas.h"
#include "mask_ops.h"
#include "test_pack.h"
#include "ui_test_support.h"

using bd::gui::EditController;
using bd::test::sceneImage;
using bd::ui::CandidateModel;
using bd::ui::Document;
using bd::ui::JobRecord;
using bd::ui::MaskCanvas;

class TestController : public QObject {
  Q_OBJECT

  QString m_packDir;
  QTemporaryDir m_tmp;
  std::unique_ptr<Document> m_doc;
  std::unique_ptr<MaskCanvas> m_canvas;
  std::unique_ptr<CandidateModel> m_model;
  std::unique_ptr<EditController> m_controller;

  bd::EditParams fastParams() const {
    bd::EditParams p = m_controller->pack().defaults;
    p.preview_every = 1;
    return p;
  }

 private slots:
  void initTestCase() {
    const std::string toy = bd::default_pack_dir();
    m_packDir = !toy.empty() ? QString::fromStdString(toy)
                             : QString::fromStdString(bd::test::make_reference_test_pack(
                                   bd::test::scratch_dir("controller_pack")));
    qInfo("model pack: %s", qPrintable(m_packDir));
    m_doc = std::make_unique<Document>();
    m_canvas = std::make_unique<MaskCanvas>(m_doc.get());
    m_canvas->resize(320, 240);
    m_model = std::make_unique<CandidateModel>(m_doc.get());
    m_controller = std::make_unique<EditController>(m_doc.get(), nullptr, "cpu", 2);
    QSignalSpy ready(m_controller.get(), &EditController::packReady);
    QSignalSpy failed(m_controller.get(), &EditController::packFailed);
    m_controller->loadPack(m_packDir);
    QTRY_VERIFY_WITH_TIMEOUT(ready.count() + failed.count() > 0, 300'000);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(2).toString()));
    QVERIFY(m_controller->isPackReady());
  }

  void init() {
    m_controller->setImage(sceneImage(60, 44), QString());
    m_doc->fillRect(QRect(20, 10, 14, 16));
  }

  void generateApplyUndoExport() {
    const QImage original = m_doc->image();
    const QImage mask = m_doc->mask();
    QSignalSpy previews(m_controller.get(), &EditController::previewShown);
    QSignalSpy candidates(m_controller.get(), &EditController::candidateAdded);
    QSignalSpy finished(m_controller.get(), &EditController::editFinished);
    QSignalSpy errors(m_controller.get(), &EditController::errorOccurred);
    const bd::EditParams params = fastParams();

    // The event loop keeps turning while the worker computes: timer ticks arrive between
    // the worker's step reports. (Had the GUI thread waited for the edit, the queued
    // reports would arrive back to back after it.) How long the gaps are is measured by
    // bench_edit_latency, not asserted here.
    int ticks = 0;
    std::vector<int> ticksAtStep;
    qint64 worstGapMs = 0;
    QElapsedTimer gap;
    gap.start();
    QTimer ticker;
    connect(&ticker, &QTimer::timeout, this, [&] {
      ++ticks;
      worstGapMs = std::max(worstGapMs, gap.restart());
    });
    // The ticker as context: both connections end with this function.
    connect(m_controller.get(), &EditController::progress, &ticker,
            [&] { ticksAtStep.push_back(ticks); });
    ticker.start(5);

    QVERIFY(m_controller->generate("red blue", params));
    QVERIFY(m_controller->isBusy());
    // One edit at a time: a second Generate waits in the queue (test_queue runs queues).
    QVERIFY(m_controller->generate("again", params));
    QCOMPARE(m_controller->queuedJobs().size(), 1);
    m_controller->clearQueue();
    QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty() || !errors.isEmpty(), 300'000);
    ticker.stop();
    QVERIFY2(errors.isEmpty(), errors.isEmpty() ? "" : qPrintable(errors.first().at(2).toString()));
    qInfo("event loop: worst gap %lld ms during the edit", static_cast<long long>(worstGapMs));
    QVERIFY(ticksAtStep.size() >= 2);
    QVERIFY2(ticksAtStep.back() > ticksAtStep.front(),
             "no timer tick between the worker's step reports");

    QVERIFY(previews.count() >= 1);
    const int expected = params.batch_size * params.iterations;
    QCOMPARE(candidates.count(), expected);
    QCOMPARE(m_doc->candidates().size(), expected);
    QCOMPARE(m_model->rowCount(), expected);
    for (int row = 1; row < m_doc->candidates().size(); ++row)
      QVERIFY(m_doc->candidates()[row - 1].score <= m_doc->candidates()[row].score);
    // Generating never touches the document.
    QCOMPARE(m_doc->image(), original);
    QCOMPARE(m_doc->mask(), mask);
    QVERIFY(m_doc->preview().isNull());
    QCOMPARE(m_doc->shownCandidate(), -1);
    QVERIFY(m_canvas->displayImage().isNull());
    QVERIFY(!m_doc->isModified());
    QCOMPARE(m_doc->jobs().size(), 1);
    QVERIFY(m_doc->jobs()[0].state == JobRecord::State::Done);
    QCOMPARE(m_doc->jobs()[0].prompt, QStringLiteral("red blue"));
    QVERIFY(m_doc->jobs()[0].parameters.contains("Seed: "));

    // Show, apply (one undo step), undo, redo.
    m_controller->showCandidate(0);
    const QImage best = m_doc->candidates()[0].image;
    QCOMPARE(m_canvas->shownImage(), best);
    QVERIFY(best != original);
    const int steps = m_doc->undoStack()->count();
    m_controller->applyCandidate(0);
    QCOMPARE(m_doc->image(), best);
    QCOMPARE(m_canvas->shownImage(), best);  // the canvas shows the new image by itself
    QCOMPARE(m_doc->shownCandidate(), -1);
    QCOMPARE(m_doc->mask(), mask);  // kept, so the next edit can chain
    QCOMPARE(m_doc->undoStack()->count(), steps + 1);
    QVERIFY(m_doc->isModified());
    m_doc->undoStack()->undo();
    QCOMPARE(m_doc->image(), original);
    QVERIFY(!m_doc->isModified());
    m_doc->undoStack()->redo();
    QCOMPARE(m_doc->image(), best);

    // Export the shown candidate with its parameters; then the applied base image.
    m_controller->showCandidate(1 % m_doc->candidates().size());
    const QString out = m_tmp.filePath("candidate.png");
    QVERIFY(m_controller->exportShown(out));
    QVERIFY(QFileInfo::exists(out));
    const auto text = bd::read_png_text(out.toStdString());
    QVERIFY(text.count("parameters"));
    const QString parameters = QString::fromStdString(text.at("parameters"));
    QVERIFY2(parameters.startsWith("red blue") && parameters.contains("Seed: ") &&
                 parameters.contains("Score: "),
             qPrintable(parameters));
    const bd::Image written = bd::load_image(out.toStdString());
    QCOMPARE(written.width, 60);
    m_controller->showCandidate(-1);
    QVERIFY(m_controller->exportShown(m_tmp.filePath("applied.jpg")));
    QVERIFY(!m_doc->isModified());

    // Export all: one PNG per candidate, ranked names.
    const QString all = m_tmp.filePath("all");
    QCOMPARE(m_controller->exportAllCandidates(all), expected);
    QCOMPARE(QDir(all).entryList({"*.png"}).size(), expected);
    QVERIFY(QFileInfo::exists(QDir(all).filePath(
        QStringLiteral("edit_rank01_seed%1.png").arg(m_doc->candidates()[0].seed))));
  }

  // Two Generates in a row: the second fills the gallery, the first keeps its candidates
  // in the document's history.
  void rerunKeepsTheFirstJobAndReproducesItsCandidate() {
    QSignalSpy finished(m_controller.get(), &EditController::editFinished);
    QVERIFY(m_controller->generate("blue", fastParams()));
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, 300'000);
    const QVector<bd::ui::CandidateEntry> firstJob = m_doc->candidates();
    const int last = m_doc->candidates().size() - 1;
    const bd::ui::CandidateEntry target = m_doc->candidates()[last];
    QVERIFY(m_controller->rerunWithSeed(last));
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 2, 300'000);
    QCOMPARE(m_doc->jobs().size(), 2);
    QCOMPARE(m_doc->currentJob(), 1);
    QCOMPARE(m_doc->jobs()[0].candidates.size(), firstJob.size());
    for (int row = 0; row < firstJob.size(); ++row) {
      QCOMPARE(m_doc->jobs()[0].candidates[row].seed, firstJob[row].seed);
      QCOMPARE(m_doc->jobs()[0].candidates[row].image, firstJob[row].image);
    }
    QCOMPARE(m_model->rowCount(), 1);  // the gallery shows the newest job
    QCOMPARE(m_doc->candidates().size(), 1);
    QCOMPARE(m_doc->candidates()[0].seed, target.seed);
    // The same candidate up to rounding: alone it runs as a batch of one (CPU lanes give
    // ops of another batch size), so a channel may differ by one level.
    const int maxDiff = bd::test::maxChannelDifference(m_doc->candidates()[0].image, target.image);
    QVERIFY2(maxDiff >= 0, "another size");
    QVERIFY2(maxDiff <= 1, qPrintable(QString("max difference %1").arg(maxDiff)));
  }

  void cancelMidRunLeavesTheDocument() {
    const QImage original = m_doc->image();
    const QImage mask = m_doc->mask();
    const int undoSteps = m_doc->undoStack()->count();
    bd::EditParams p = fastParams();
    p.timestep_respacing = "200";
    p.skip_timesteps = 0;
    p.iterations = 3;
    QSignalSpy progress(m_controller.get(), &EditController::progress);
    QSignalSpy cancelled(m_controller.get(), &EditController::editCancelled);
    QSignalSpy finished(m_controller.get(), &EditController::editFinished);
    QVERIFY(m_controller->generate("red", p));
    QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= 2, 120'000);
    QElapsedTimer clock;
    clock.start();
    m_controller->cancel();
    QTRY_VERIFY_WITH_TIMEOUT(!cancelled.isEmpty(), 60'000);
    qInfo("cancel took %lld ms after %lld steps", static_cast<long long>(clock.elapsed()),
          static_cast<long long>(progress.count()));
    QVERIFY(finished.isEmpty());
    QVERIFY(!m_controller->isBusy());
    const auto last = progress.last().at(0).value<bd::ui::StepProgress>();
    QVERIFY(last.step < last.total);
    QCOMPARE(m_doc->image(), original);
    QCOMPARE(m_doc->mask(), mask);
    QCOMPARE(m_doc->undoStack()->count(), undoSteps);
    QVERIFY(m_doc->preview().isNull());
    QVERIFY(m_canvas->displayImage().isNull());
    QVERIFY(!m_doc->isModified());
    QVERIFY(m_doc->jobs().last().state == JobRecord::State::Cancelled);
  }

  void exportRefusesTheSourceFile() {
    const QString source = m_tmp.filePath("source.png");
    QVERIFY(sceneImage(40, 30).save(source));
    QVERIFY(m_controller->openImage(source));
    QSignalSpy errors(m_controller.get(), &EditController::errorOccurred);
    QVERIFY(!m_controller->exportShown(source));
    QCOMPARE(errors.count(), 1);
    QVERIFY(m_controller->exportShown(source, /*overwriteSource=*/true));
  }

  void badImagePathIsAnError() {
    const QImage before = m_doc->image();
    QSignalSpy errors(m_controller.get(), &EditController::errorOccurred);
    QVERIFY(!m_controller->openImage(m_tmp.filePath("no-such-image.png")));
    QCOMPARE(errors.count(), 1);
    QVERIFY(errors.first().at(2).toString().contains("no-such-image.png"));
    QFile junk(m_tmp.filePath("junk.png"));
    QVERIFY(junk.open(QIODevice::WriteOnly));
    junk.write("not a png at all");
    junk.close();
    QVERIFY(!m_controller->openImage(junk.fileName()));
    QCOMPARE(errors.count(), 2);
    QCOMPARE(m_doc->image(), before);
  }

  void generateWithoutMaskIsAnError() {
    m_doc->clearMask();
    QSignalSpy errors(m_controller.get(), &EditController::errorOccurred);
    QVERIFY(!m_controller->generate("red", fastParams()));
    QCOMPARE(errors.count(), 1);
    QVERIFY(!m_controller->isBusy());
  }

  void badParamsAreAnErrorSignal() {
    bd::EditParams p = fastParams();
    p.skip_timesteps = 100000;
    QSignalSpy errors(m_controller.get(), &EditController::errorOccurred);
    QVERIFY(m_controller->generate("red", p));
    QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), 60'000);
    QCOMPARE(errors.first().at(1).toString(), QStringLiteral("InvalidInput"));
    QVERIFY(!m_controller->isBusy());
  }

  void badPackFoldersAreErrorSignals() {
    Document doc;
    EditController controller(&doc, nullptr, "cpu", 1);
    QSignalSpy failed(&controller, &EditController::packFailed);
    controller.loadPack(m_tmp.filePath("no-pack-here"));
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 60'000);
    QCOMPARE(failed.last().at(1).toString(), QStringLiteral("ModelFiles"));
    // A manifest whose weight files are missing names them.
    const QString half = m_tmp.filePath("half-pack");
    QDir().mkpath(half);
    QVERIFY(QFile::copy(m_packDir + "/pack.json", half + "/pack.json"));
    controller.loadPack(half);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 2, 60'000);
    const QString message = failed.last().at(2).toString();
    QVERIFY2(message.contains("unet") || message.contains("missing"), qPrintable(message));
    QVERIFY(!controller.isPackReady());
  }

  void cleanupTestCase() {
    m_controller.reset();  // stops the worker thread cleanly
    m_model.reset();
    m_canvas.reset();
    m_doc.reset();
  }
};

QTEST_MAIN(TestController)
#include "test_controller.moc"
