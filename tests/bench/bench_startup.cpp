// Start-up time of `blendiff` to a usable window (aim <= 1.5 s; the model pack loads in
// the background afterwards). Runs `blendiff --measure-startup` N times offscreen and
// prints the wall time from launch to the window being up, and the in-process time.
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <algorithm>
#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  const int runs = argc > 1 ? std::max(1, atoi(argv[1])) : 5;
  std::vector<double> wall, inProcess;
  for (int i = 0; i < runs; ++i) {
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    if (!env.contains("QT_QPA_PLATFORM") && !env.contains("DISPLAY"))
      env.insert("QT_QPA_PLATFORM", "offscreen");
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::SeparateChannels);
    QElapsedTimer t;
    t.start();
    p.start(QStringLiteral(BLENDIFF_APP), {QStringLiteral("--measure-startup")});
    double shown = -1;
    while (p.state() != QProcess::NotRunning || p.bytesAvailable()) {
      p.waitForReadyRead(50);
      while (p.canReadLine()) {
        const QByteArray line = p.readLine().trimmed();
        if (line.startsWith("startup_ms=")) {
          shown = t.nsecsElapsed() / 1e6;
          inProcess.push_back(line.mid(11).toDouble());
        }
      }
      if (p.state() == QProcess::NotRunning && !p.canReadLine()) break;
    }
    p.waitForFinished(30000);
    if (shown < 0) {
      std::fprintf(stderr, "run %d: no startup_ms line (exit %d): %s\n", i, p.exitCode(),
                   p.readAllStandardError().constData());
      return 1;
    }
    wall.push_back(shown);
    std::printf("run %d: window up after %.0f ms wall (%.0f ms inside main)\n", i, shown,
                inProcess.back());
  }
  std::sort(wall.begin(), wall.end());
  std::sort(inProcess.begin(), inProcess.end());
  std::printf("median: %.0f ms wall from exec, %.0f ms from main()\n", wall[wall.size() / 2],
              inProcess[inProcess.size() / 2]);
  return 0;
}
