#pragma once
// The History panel: every job of the open image, newest first, with its prompt, time,
// model pack, state and parameters, and under it the job's candidates, best first, as
// thumbnails. Any candidate of any job can be shown (select it), applied, re-run with
// its seed or exported; the window does the work through the panel's signals. Its
// selection follows the document's current job and shown candidate.
#include <QHash>
#include <QIcon>
#include <QPair>
#include <QWidget>

class QPushButton;
class QTreeWidget;
class QTreeWidgetItem;
class QLabel;

namespace bd::ui {

class Document;

class HistoryPanel : public QWidget {
  Q_OBJECT

 public:
  explicit HistoryPanel(Document* document, QWidget* parent = nullptr);

  QTreeWidget* tree() const { return m_tree; }
  // The selected candidate as (job, row); (-1, -1) when a job or nothing is selected.
  QPair<int, int> selectedCandidate() const;
  void selectCandidate(int job, int row);
  static constexpr int kIconSize = 72;

 signals:
  void showRequested(int job, int row);
  void applyRequested(int job, int row);
  void rerunRequested(int job, int row);
  void exportRequested(int job, int row);

 private:
  void rebuild();
  void followDocument();
  void updateButtons();
  QIcon iconFor(const QImage& image, const QImage& thumbnail);

  Document* m_document;
  QLabel* m_summary;
  QTreeWidget* m_tree;
  QPushButton* m_apply;
  QPushButton* m_rerun;
  QPushButton* m_export;
  QHash<qint64, QIcon> m_icons;     // by the candidate image's cacheKey
  QHash<QString, bool> m_expanded;  // by job id, as the user left it
  bool m_rebuilding = false;
};

}  // namespace bd::ui
