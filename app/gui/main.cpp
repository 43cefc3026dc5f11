// blendiff: the editor. Sets up logging (a rotating file in the app-data folder), the
// command line, the window; the model pack loads on the worker thread after the window
// is up, so start-up does not wait for weights.
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QStandardPaths>
#include <QTimer>
#include <cstdio>
#include <memory>

#include "bd/runtime.h"
#include "demo_script.h"
#include "document.h"
#include "main_window.h"

namespace {

void setupLogging() {
  std::vector<spdlog::sink_ptr> sinks;
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  console->set_level(spdlog::level::warn);
  sinks.push_back(console);
  const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
  if (!dir.isEmpty() && QDir().mkpath(dir)) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          QDir(dir).filePath(QStringLiteral("blendiff.log")).toStdString(), 5 * 1024 * 1024, 3));
    } catch (const spdlog::spdlog_ex& e) {
      std::fprintf(stderr, "blendiff: no log file: %s\n", e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>("blendiff", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::info);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] [%l] %v");
}

}  // namespace

int main(int argc, char** argv) {
  bd::restart_with_passive_openmp_wait(argv);
  QElapsedTimer clock;
  clock.start();
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("Blendiff"));
  QApplication::setApplicationName(QStringLiteral("blendiff"));
  QApplication::setApplicationVersion(QString::fromStdString(bd::version()));

  QCommandLineParser parser;
  parser.setApplicationDescription(
      QStringLiteral("Text-driven local image editing with Blended Diffusion"));
  parser.addHelpOption();
  parser.addVersionOption();
  const QCommandLineOption packOpt(
      "pack", "Model pack folder (default: the last one, else ToyWorld).", "dir");
  const QCommandLineOption deviceOpt("device", "auto, cpu, cuda or cuda:N.", "device", "auto");
  const QCommandLineOption threadsOpt("threads", "CPU threads for the engine (0: all cores).", "n",
                                      "0");
  const QCommandLineOption shotsOpt("screenshot-dir", "Save screenshots of a scripted run here.",
                                    "dir");
  const QCommandLineOption scriptOpt(
      "script",
      "Drive the editor: 'demo' (open, paint, generate, queue, gallery, history); 'autosave' "
      "(scribble on the image, print a line after each autosave, run until killed: for the "
      "crash-recovery test).",
      "name");
  const QCommandLineOption maskOpt("mask", "A mask for the image (white or opaque = edit).",
                                   "file");
  const QCommandLineOption promptOpt("prompt",
                                     "Prompt of the scripted run (default: the sample's).", "text");
  const QCommandLineOption startupOpt("measure-startup",
                                      "Print the time to a usable window and quit.");
  parser.addOptions(
      {packOpt, deviceOpt, threadsOpt, shotsOpt, scriptOpt, maskOpt, promptOpt, startupOpt});
  parser.addPositionalArgument("image", "An image to open.", "[image]");
  parser.process(app);

  const bool scripted = parser.isSet(scriptOpt) || parser.isSet(startupOpt);
  // Scripted runs must not read or change the user's settings.
  if (scripted) QStandardPaths::setTestModeEnabled(true);
  setupLogging();
  bd::configure_process(parser.value(threadsOpt).toInt());
  spdlog::info("blendiff {} starting ({})", bd::version(), bd::backend_summary());

  const QString demoOut =
      parser.isSet(shotsOpt) ? parser.value(shotsOpt) : QDir::current().filePath("screenshots");
  if (parser.value(scriptOpt) == QLatin1String("demo") &&
      qEnvironmentVariableIsEmpty("BLENDIFF_DATA_DIR")) {
    // A history of its own: none from earlier runs, and none left in the user's.
    const QString data = QDir(demoOut).filePath(QStringLiteral("data"));
    QDir(data).removeRecursively();
    qputenv("BLENDIFF_DATA_DIR", QFile::encodeName(data));
  }
  // Heap-held so it (and its worker thread) is gone before logging shuts down.
  auto windowOwner = std::make_unique<bd::gui::MainWindow>(parser.value(deviceOpt),
                                                           parser.value(threadsOpt).toInt());
  bd::gui::MainWindow& window = *windowOwner;
  window.show();

  if (parser.isSet(startupOpt)) {
    // Usable = shown and the event loop turning; the pack keeps loading in the background.
    QTimer::singleShot(0, &app, [&] {
      std::printf("startup_ms=%lld\n", static_cast<long long>(clock.elapsed()));
      std::fflush(stdout);
      QApplication::exit(0);
    });
    window.loadStartupPack(parser.value(packOpt));
    return app.exec();
  }

  window.loadStartupPack(parser.value(packOpt));
  // A session that ended without a clean exit comes first: restoring it is the user's
  // work; the image named on the command line is still a File › Open away.
  const bool restored = !scripted && window.offerRecovery();
  if (!restored && !parser.positionalArguments().isEmpty() &&
      window.openImage(parser.positionalArguments().front()) && parser.isSet(maskOpt)) {
    QString error;
    if (!window.document()->loadMask(parser.value(maskOpt), &error)) {
      std::fprintf(stderr, "blendiff: %s\n", qPrintable(error));
      return 2;
    }
  }

  if (parser.value(scriptOpt) == QLatin1String("autosave")) {
    bd::gui::startAutosaveScript(&window);
  } else if (parser.value(scriptOpt) == QLatin1String("demo")) {
    auto* script = new bd::gui::DemoScript(&window, demoOut, parser.value(promptOpt), &app);
    script->start();
  } else if (parser.isSet(scriptOpt)) {
    std::fprintf(stderr, "blendiff: unknown script '%s' (known: demo, autosave)\n",
                 qPrintable(parser.value(scriptOpt)));
    return 2;
  }
  const int rc = app.exec();
  windowOwner.reset();  // cancels a running edit and joins the worker thread
  spdlog::shutdown();
  return rc;
}
