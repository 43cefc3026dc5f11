#include "prompt_panel.h"

#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QShortcut>
#include <QToolButton>

namespace bd::ui {

namespace {
constexpr int kHistoryMax = 50;
}

PromptPanel::PromptPanel(QWidget* parent) : QWidget(parent) {
  m_edit = new QLineEdit(this);
  m_edit->setObjectName("promptEdit");
  m_edit->setPlaceholderText(
      tr("Describe what the masked region should become, e.g. \"a red ball\""));
  m_edit->setClearButtonEnabled(true);
  m_edit->setToolTip(
      tr("The text CLIP guides the masked region towards. Up/Down recall earlier prompts.\n"
         "Empty: plain blended inpainting without text guidance."));
  m_edit->installEventFilter(this);

  m_historyButton = new QToolButton(this);
  m_historyButton->setText(tr("History"));
  m_historyButton->setToolTip(tr("Earlier prompts"));
  m_historyButton->setPopupMode(QToolButton::InstantPopup);
  m_historyButton->setMenu(new QMenu(m_historyButton));

  m_button = new QPushButton(tr("Generate"), this);
  m_button->setObjectName("generateButton");
  m_button->setDefault(true);
  m_button->setMinimumWidth(110);
  m_queueButton = new QPushButton(tr("Queue"), this);
  m_queueButton->setObjectName("queueButton");
  m_queueButton->setToolTip(
      tr("Run this prompt with the current settings and mask after the running edit "
         "(Ctrl+Enter)"));

  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_edit, 1);
  layout->addWidget(m_historyButton);
  layout->addWidget(m_queueButton);
  layout->addWidget(m_button);

  connect(m_button, &QPushButton::clicked, this, &PromptPanel::triggerGenerate);
  connect(m_queueButton, &QPushButton::clicked, this, &PromptPanel::triggerQueue);
  connect(m_edit, &QLineEdit::returnPressed, this, &PromptPanel::triggerQueue);
  for (const QKeySequence& key :
       {QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)}) {
    auto* sc = new QShortcut(key, this);
    sc->setContext(Qt::WindowShortcut);
    connect(sc, &QShortcut::activated, this, &PromptPanel::triggerQueue);
  }
  auto* esc = new QShortcut(QKeySequence(Qt::Key_Escape), this);
  esc->setContext(Qt::WindowShortcut);
  connect(esc, &QShortcut::activated, this, &PromptPanel::triggerCancel);
  setRunning(false);
  rebuildHistoryMenu();
}

QString PromptPanel::prompt() const { return m_edit->text().trimmed(); }
void PromptPanel::setPrompt(const QString& prompt) { m_edit->setText(prompt); }

void PromptPanel::setHistory(const QStringList& history) {
  m_history = history.mid(0, kHistoryMax);
  m_historyPos = -1;
  rebuildHistoryMenu();
}

void PromptPanel::addToHistory(const QString& prompt) {
  if (prompt.isEmpty()) return;
  m_history.removeAll(prompt);
  m_history.prepend(prompt);
  while (m_history.size() > kHistoryMax) m_history.removeLast();
  m_historyPos = -1;
  rebuildHistoryMenu();
}

void PromptPanel::rebuildHistoryMenu() {
  QMenu* menu = m_historyButton->menu();
  menu->clear();
  for (const QString& p : m_history) menu->addAction(p, this, [this, p] { m_edit->setText(p); });
  m_historyButton->setEnabled(!m_history.isEmpty());
}

void PromptPanel::setRunning(bool running) {
  m_running = running;
  m_button->setText(running ? tr("Cancel") : tr("Generate"));
  m_button->setToolTip(
      running
          ? tr("Stop the edit (Esc). The image stays as it was.")
          : (m_enabled ? tr("Generate candidates for the masked region (Ctrl+Enter)") : m_whyNot));
  m_button->setEnabled(running || m_enabled);
  m_queueButton->setVisible(running);
  m_queueButton->setEnabled(m_enabled);
}

void PromptPanel::setGenerateEnabled(bool enabled, const QString& whyNot) {
  m_enabled = enabled;
  m_whyNot = whyNot;
  setRunning(m_running);
}

void PromptPanel::triggerGenerate() {
  if (m_running) {
    emit cancelRequested();
    return;
  }
  if (!m_enabled) return;
  addToHistory(prompt());
  emit generateRequested(prompt());
}

void PromptPanel::triggerQueue() {
  if (!m_enabled) return;
  addToHistory(prompt());
  emit generateRequested(prompt());
}

void PromptPanel::triggerCancel() {
  if (m_running) emit cancelRequested();
}

bool PromptPanel::eventFilter(QObject* watched, QEvent* event) {
  if (watched == m_edit && event->type() == QEvent::KeyPress && !m_history.isEmpty()) {
    const auto* key = static_cast<QKeyEvent*>(event);
    if (key->key() == Qt::Key_Up || key->key() == Qt::Key_Down) {
      const int step = key->key() == Qt::Key_Up ? 1 : -1;
      m_historyPos = std::clamp(m_historyPos + step, -1, static_cast<int>(m_history.size()) - 1);
      m_edit->setText(m_historyPos < 0 ? QString() : m_history[m_historyPos]);
      return true;
    }
  }
  return QWidget::eventFilter(watched, event);
}

}  // namespace bd::ui
