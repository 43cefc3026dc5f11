#pragma once
// The ranked gallery of the document's current job: thumbnails with rank, score and
// seed, plus the actions on the selected candidate (Apply, Re-run with its seed,
// Discard, Export all). Its selection is the document's shown candidate, both ways.
// Once the document holds more than one job, a list above the thumbnails picks the
// job to show (the newest is shown when it starts).
#include <QWidget>

class QComboBox;
class QListView;
class QPushButton;

namespace bd::ui {

class CandidateModel;

class CandidateGallery : public QWidget {
  Q_OBJECT

 public:
  explicit CandidateGallery(CandidateModel* model, QWidget* parent = nullptr);

  int currentRow() const;
  void setCurrentRow(int row);  // shows that candidate of the document (-1: the image)
  QListView* view() const { return m_view; }
  QComboBox* jobList() const { return m_jobs; }

 signals:
  void applyRequested(int row);
  void rerunRequested(int row);
  void discardRequested(int row);
  void exportAllRequested();

 private:
  void updateButtons();
  void followShownCandidate(int row);
  void rebuildJobList();

  CandidateModel* m_model;
  QComboBox* m_jobs;
  QListView* m_view;
  bool m_following = false;      // selecting what the document shows: do not echo it back
  bool m_modelChanging = false;  // rows moving: the view's own current changes are not the user's
  QPushButton* m_apply;
  QPushButton* m_rerun;
  QPushButton* m_discard;
  QPushButton* m_exportAll;
};

}  // namespace bd::ui
