#pragma once
// The queue indicator: a status-bar button "Queued: N", shown while edits wait for the
// running one. It opens a list of the waiting jobs in the order they will run, from which
// any can be cancelled (they never started, so nothing of them is kept).
#include <QString>
#include <QToolButton>
#include <QVector>

class QFrame;
class QListWidget;
class QPushButton;

namespace bd::ui {

struct QueuedJobInfo {
  quint64 id = 0;
  QString prompt;
  QString parameters;  // the job's parameter line, for the tooltip
};

class QueueButton : public QToolButton {
  Q_OBJECT

 public:
  explicit QueueButton(QWidget* parent = nullptr);

  void setJobs(const QVector<QueuedJobInfo>& jobs);
  int count() const { return m_jobs.size(); }
  QFrame* popup() const { return m_popup; }
  QListWidget* list() const { return m_list; }
  void showList();  // opens the list under the button

 signals:
  void cancelRequested(quint64 id);

 private:
  void cancelSelected();

  QVector<QueuedJobInfo> m_jobs;
  QFrame* m_popup;
  QListWidget* m_list;
  QPushButton* m_cancel;
  QPushButton* m_cancelAll;
};

}  // namespace bd::ui
