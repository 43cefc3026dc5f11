#pragma once
// `blendiff --script demo --screenshot-dir DIR`: the editor drives itself through one
// edit (open the sample scene, paint a mask, generate, wait for the gallery) and grabs
// the window at each stage: empty.png, with_mask.png, generating.png, gallery.png.
// The screenshot test runs it under Xvfb; it is also a smoke test of the whole app.
#include <QElapsedTimer>
#include <QObject>
#include <QString>

namespace bd::gui {

class MainWindow;

class DemoScript : public QObject {
  Q_OBJECT

 public:
  DemoScript(MainWindow* window, QString outDir, QString prompt, QObject* parent = nullptr);
  void start();

 private:
  void grab(const QString& name);
  void openScene();
  void paintMask();
  void generate();
  void finish(int code, const QString& why);

  MainWindow* m_window;
  QString m_outDir;
  QString m_prompt;
  bool m_grabbedGenerating = false;
  bool m_generated = false;
  QElapsedTimer m_clock;
};

}  // namespace bd::gui
