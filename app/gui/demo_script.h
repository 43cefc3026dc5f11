#pragma once
// `blendiff --script demo --screenshot-dir DIR`: the editor drives itself through an
// edit (open the sample scene, paint a mask, generate; while it runs, queue two more
// prompts and open the queue's list; wait for all three) and grabs the window at each
// stage: empty.png, with_mask.png, generating.png, queue.png, gallery.png, history.png.
// The screenshot test runs it under Xvfb; it is also a smoke test of the whole app.
#include <QElapsedTimer>
#include <QObject>
#include <QString>

class QWidget;

namespace bd::gui {

class MainWindow;

// `blendiff --script autosave IMAGE [--mask FILE]`: paints a scribble (a red bar across the
// middle) over the opened image and prints "autosaved <recovery folder>" after each
// autosave, then runs on until it is killed. The crash-recovery test kills it there.
void startAutosaveScript(MainWindow* window);

class DemoScript : public QObject {
  Q_OBJECT

 public:
  DemoScript(MainWindow* window, QString outDir, QString prompt, QObject* parent = nullptr);
  void start();

 private:
  // The window, with `popup` (a separate top-level window) drawn where it is shown.
  void grab(const QString& name, QWidget* popup = nullptr);
  void queueMore();
  void allDone();
  void openScene();
  void paintMask();
  void generate();
  void finish(int code, const QString& why);

  MainWindow* m_window;
  QString m_outDir;
  QString m_prompt;
  bool m_grabbedGenerating = false;
  bool m_generated = false;
  bool m_queued = false;
  QElapsedTimer m_clock;
};

}  // namespace bd::gui
