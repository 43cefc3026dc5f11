#include "queue_button.h"

#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>
#include <algorithm>

namespace bd::ui {

QueueButton::QueueButton(QWidget* parent) : QToolButton(parent) {
  setObjectName("queueIndicator");
  setAutoRaise(true);
  setToolTip(tr("Edits waiting for the running one, in order: click to see or cancel them"));
  m_popup = new QFrame(this, Qt::Popup);
  m_popup->setObjectName("queuePopup");
  m_popup->setFrameShape(QFrame::StyledPanel);
  m_list = new QListWidget(m_popup);
  m_list->setObjectName("queueList");
  m_list->setMinimumWidth(360);
  m_cancel = new QPushButton(tr("Cancel job"), m_popup);
  m_cancel->setToolTip(tr("Remove the selected job from the queue (Delete)"));
  m_cancel->setShortcut(QKeySequence::Delete);
  m_cancelAll = new QPushButton(tr("Cancel all"), m_popup);
  auto* buttons = new QHBoxLayout;
  buttons->addStretch(1);
  buttons->addWidget(m_cancel);
  buttons->addWidget(m_cancelAll);
  auto* layout = new QVBoxLayout(m_popup);
  layout->addWidget(new QLabel(tr("<b>Waiting to run</b>, in this order:"), m_popup));
  layout->addWidget(m_list, 1);
  layout->addLayout(buttons);
  connect(this, &QToolButton::clicked, this, &QueueButton::showList);
  connect(m_cancel, &QPushButton::clicked, this, &QueueButton::cancelSelected);
  connect(m_cancelAll, &QPushButton::clicked, this, [this] {
    // From the last, so the running order of the others never matters.
    const QVector<QueuedJobInfo> jobs = m_jobs;
    for (int i = jobs.size() - 1; i >= 0; --i) emit cancelRequested(jobs[i].id);
  });
  connect(m_list, &QListWidget::currentRowChanged, this,
          [this](int row) { m_cancel->setEnabled(row >= 0); });
  setJobs({});
}

void QueueButton::setJobs(const QVector<QueuedJobInfo>& jobs) {
  const int keep = m_list->currentRow();
  m_jobs = jobs;
  m_list->clear();
  for (int i = 0; i < jobs.size(); ++i) {
    auto* item =
        new QListWidgetItem(tr("%1. “%2”")
                                .arg(i + 1)
                                .arg(jobs[i].prompt.isEmpty() ? tr("(no prompt)") : jobs[i].prompt),
                            m_list);
    item->setToolTip(jobs[i].parameters);
  }
  if (!jobs.isEmpty()) m_list->setCurrentRow(std::min(std::max(keep, 0), int(jobs.size()) - 1));
  m_cancel->setEnabled(m_list->currentRow() >= 0);
  m_cancelAll->setEnabled(!jobs.isEmpty());
  setText(tr("Queued: %1").arg(jobs.size()));
  setVisible(!jobs.isEmpty());
  if (jobs.isEmpty()) m_popup->hide();
}

void QueueButton::showList() {
  m_popup->adjustSize();
  const QPoint below = mapToGlobal(QPoint(0, 0));
  // Above the button: it sits in the status bar at the bottom of the window.
  m_popup->move(below.x() + width() - m_popup->width(), below.y() - m_popup->height());
  m_popup->show();
}

void QueueButton::cancelSelected() {
  const int row = m_list->currentRow();
  if (row >= 0 && row < m_jobs.size()) emit cancelRequested(m_jobs[row].id);
}

}  // namespace bd::ui
