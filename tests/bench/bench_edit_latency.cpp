// How responsive the editor stays while it generates (aim: no event-loop gap over 50 ms):
// the real MainWindow (canvas, gallery, progress bar, controller, worker thread) runs a
// real edit on a real model pack (ToyWorld by default) and the sample scene, scaled to
// each of the given sizes. Meanwhile a 1 ms timer on the GUI thread records every gap
// between its ticks, and each preview is timed from the engine's callback to the end
// of the canvas's paint that shows it. Prints the worst and p99 gaps and the preview
// delivery latency per image size.
//
//   bench_edit_latency [--pack DIR] [--sizes 256,4096] [--threads N] [--runs N]
//                      [--preview-every N] [--steps N] [--skip N] [--batch N]
// Steps, skip and batch default to the pack's defaults.
#include <QApplication>
#include <QCommandLineParser>
#include <QFile>
#include <QPaintEvent>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "bd/image.h"
#include "bd/paths.h"
#include "bd/runtime.h"
#include "document.h"
#include "edit_controller.h"
#include "image_convert.h"
#include "main_window.h"
#include "mask_canvas.h"
#include "params_panel.h"

namespace {

qint64 nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * v.size()))];
}

// Times the end of each canvas paint that follows a new preview. It runs the canvas's
// own paint from inside the filter, so "painted" means paintEvent has returned.
class PaintProbe : public QObject {
 public:
  explicit PaintProbe(QWidget* canvas) : m_canvas(canvas) { canvas->installEventFilter(this); }
  void previewShown(qint64 engineNs) { m_pendingEngineNs = engineNs; }
  std::vector<double> latenciesMs;
  std::vector<double> paintMs;

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override {
    if (watched != m_canvas || event->type() != QEvent::Paint) return false;
    const qint64 start = nowNs();
    static_cast<QObject*>(m_canvas)->event(event);
    const qint64 end = nowNs();
    paintMs.push_back((end - start) / 1e6);
    if (m_pendingEngineNs) {
      latenciesMs.push_back((end - m_pendingEngineNs) / 1e6);
      m_pendingEngineNs = 0;
    }
    return true;
  }

 private:
  QWidget* m_canvas;
  qint64 m_pendingEngineNs = 0;
};

struct RunResult {
  double seconds = 0;
  int candidates = 0;
  std::vector<double> gapsMs;
};

}  // namespace

int main(int argc, char** argv) {
  bd::restart_with_passive_openmp_wait(argv);  // as the real programs: no spinning OpenMP workers
  qputenv("QT_QPA_PLATFORM",
          qgetenv("QT_QPA_PLATFORM").isEmpty() ? "offscreen" : qgetenv("QT_QPA_PLATFORM"));
  QApplication app(argc, argv);
  QStandardPaths::setTestModeEnabled(true);
  // The history store and autosave run as in the app, into a folder of this run's own.
  QTemporaryDir dataDir;
  qputenv("BLENDIFF_DATA_DIR", QFile::encodeName(dataDir.path()));
  QCommandLineParser parser;
  parser.addHelpOption();
  const QCommandLineOption packOpt("pack", "Model pack folder (default: ToyWorld).", "dir");
  const QCommandLineOption sizesOpt("sizes", "Image sizes to run (square).", "list", "256,4096");
  const QCommandLineOption threadsOpt("threads", "Engine threads (0: all cores).", "n", "0");
  const QCommandLineOption everyOpt("preview-every", "Preview every N steps.", "n", "1");
  const QCommandLineOption runsOpt("runs", "Edits per size.", "n", "2");
  const QCommandLineOption stepsOpt("steps", "Timestep respacing.", "n");
  const QCommandLineOption skipOpt("skip", "Skipped timesteps.", "n");
  const QCommandLineOption batchOpt("batch", "Candidates per batch.", "n");
  parser.addOptions(
      {packOpt, sizesOpt, threadsOpt, everyOpt, runsOpt, stepsOpt, skipOpt, batchOpt});
  parser.process(app);

  const QString packDir = parser.isSet(packOpt) ? parser.value(packOpt)
                                                : QString::fromStdString(bd::default_pack_dir());
  const QString samples = QString::fromStdString(bd::samples_dir());
  if (packDir.isEmpty() || samples.isEmpty()) {
    std::fprintf(stderr, "bench_edit_latency: no model pack or samples folder found\n");
    return 1;
  }
  const QImage scene =
      bd::ui::toQImage(bd::load_image((samples + "/toyworld_1.png").toStdString()));
  const QImage sceneMask =
      bd::ui::toQImage(bd::load_image((samples + "/toyworld_1_mask.png").toStdString()));

  bd::configure_process(parser.value(threadsOpt).toInt());  // as the editor does at start-up
  bd::gui::MainWindow window(QStringLiteral("cpu"), parser.value(threadsOpt).toInt());
  window.setAskBeforeQuit(false);
  window.show();
  bd::gui::EditController* controller = window.controller();
  bool ready = false, failed = false;
  QObject::connect(controller, &bd::gui::EditController::packReady, [&] { ready = true; });
  QObject::connect(controller, &bd::gui::EditController::packFailed,
                   [&](const QString&, const QString&, const QString& message) {
                     std::fprintf(stderr, "pack failed: %s\n", qPrintable(message));
                     failed = true;
                   });
  window.loadStartupPack(packDir);
  while (!ready && !failed) QApplication::processEvents(QEventLoop::WaitForMoreEvents, 100);
  if (failed) return 1;

  PaintProbe probe(window.canvas());
  QObject::connect(controller, &bd::gui::EditController::previewShown,
                   [&](int, qint64 engineNs) { probe.previewShown(engineNs); });

  std::printf("pack %s, %s threads, preview every %s step(s), QPA %s\n", qPrintable(packDir),
              qPrintable(parser.value(threadsOpt)), qPrintable(parser.value(everyOpt)),
              qPrintable(QGuiApplication::platformName()));
  for (const QString& sizeText : parser.value(sizesOpt).split(',', Qt::SkipEmptyParts)) {
    const int size = sizeText.toInt();
    window.controller()->setImage(
        scene.scaled(size, size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation));
    window.document()->setMask(
        sceneMask.scaled(size, size, Qt::IgnoreAspectRatio, Qt::FastTransformation), "mask");
    probe.latenciesMs.clear();
    probe.paintMs.clear();
    std::vector<double> gaps;
    double seconds = 0;
    int candidates = 0;
    const int runs = parser.value(runsOpt).toInt();
    for (int run = 0; run < runs; ++run) {
      bd::EditParams params = window.paramsPanel()->paramsForRun();
      params.preview_every = parser.value(everyOpt).toInt();
      if (parser.isSet(stepsOpt)) params.timestep_respacing = parser.value(stepsOpt).toStdString();
      if (parser.isSet(skipOpt)) params.skip_timesteps = parser.value(skipOpt).toInt();
      if (parser.isSet(batchOpt)) params.batch_size = parser.value(batchOpt).toInt();
      bool done = false;
      const auto finished = QObject::connect(controller, &bd::gui::EditController::editFinished,
                                             [&](int n, const QStringList&) {
                                               candidates += n;
                                               done = true;
                                             });
      const auto error =
          QObject::connect(controller, &bd::gui::EditController::errorOccurred,
                           [&](const QString&, const QString&, const QString& message) {
                             std::fprintf(stderr, "edit failed: %s\n", qPrintable(message));
                             done = true;
                           });
      QTimer ticker;
      ticker.setTimerType(Qt::PreciseTimer);
      qint64 last = nowNs();
      QObject::connect(&ticker, &QTimer::timeout, [&] {
        const qint64 t = nowNs();
        gaps.push_back((t - last) / 1e6);
        last = t;
      });
      ticker.start(1);
      const qint64 start = nowNs();
      if (!controller->generate(QStringLiteral("a red star"), params)) return 1;
      // The gallery selects the best candidate when the edit ends, as in the app.
      while (!done) QApplication::processEvents(QEventLoop::WaitForMoreEvents);
      seconds += (nowNs() - start) / 1e9;
      ticker.stop();
      QObject::disconnect(finished);
      QObject::disconnect(error);
    }
    std::printf(
        "%4d x %-4d  %d edit(s), %.1f s each, %d candidates | event-loop gap: max %6.1f ms  "
        "p99 %5.1f ms  p50 %4.1f ms  >50 ms: %zu of %zu | preview engine->painted: n %zu  "
        "p50 %5.1f ms  max %6.1f ms | canvas paint: p50 %5.2f ms  max %6.2f ms\n",
        size, size, runs, seconds / std::max(1, runs), candidates,
        gaps.empty() ? 0.0 : *std::max_element(gaps.begin(), gaps.end()), quantile(gaps, 0.99),
        quantile(gaps, 0.5),
        static_cast<std::size_t>(
            std::count_if(gaps.begin(), gaps.end(), [](double g) { return g > 50.0; })),
        gaps.size(), probe.latenciesMs.size(), quantile(probe.latenciesMs, 0.5),
        probe.latenciesMs.empty()
            ? 0.0
            : *std::max_element(probe.latenciesMs.begin(), probe.latenciesMs.end()),
        quantile(probe.paintMs, 0.5),
        probe.paintMs.empty() ? 0.0
                              : *std::max_element(probe.paintMs.begin(), probe.paintMs.end()));
    std::fflush(stdout);
  }
  return 0;
}
