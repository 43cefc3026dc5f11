#pragma once
// The prompt box (with history: Up/Down, and a drop-down of earlier prompts) and the
// Generate button, which turns into Cancel while an edit runs; beside it, while one runs,
// "Queue" asks for another edit to run after it. Ctrl+Enter generates (queues while an
// edit runs), Esc cancels (window-wide shortcuts).
#include <QStringList>
#include <QWidget>

class QLineEdit;
class QPushButton;
class QToolButton;

namespace bd::ui {

class PromptPanel : public QWidget {
  Q_OBJECT

 public:
  explicit PromptPanel(QWidget* parent = nullptr);

  QString prompt() const;
  void setPrompt(const QString& prompt);
  QStringList history() const { return m_history; }
  void setHistory(const QStringList& history);
  void addToHistory(const QString& prompt);
  bool isRunning() const { return m_running; }
  QPushButton* generateButton() const { return m_button; }
  QPushButton* queueButton() const { return m_queueButton; }

 public slots:
  void setRunning(bool running);
  void setGenerateEnabled(bool enabled, const QString& whyNot = {});
  void triggerGenerate();  // Generate when idle, Cancel when running
  void triggerCancel();
  void triggerQueue();  // Generate, whether or not an edit runs (it waits its turn)

 signals:
  void generateRequested(const QString& prompt);
  void cancelRequested();

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void rebuildHistoryMenu();

  QLineEdit* m_edit;
  QToolButton* m_historyButton;
  QPushButton* m_button;
  QPushButton* m_queueButton;
  QStringList m_history;  // newest first
  int m_historyPos = -1;
  bool m_running = false;
  bool m_enabled = true;
  QString m_whyNot;
};

}  // namespace bd::ui
