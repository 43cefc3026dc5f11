#pragma once
// The ranked gallery: thumbnails with rank, score and seed, plus the actions on the
// selected candidate (Apply, Re-run with its seed, Discard, Export all).
#include <QWidget>

class QListView;
class QPushButton;

namespace bd::ui {

class CandidateModel;

class CandidateGallery : public QWidget {
  Q_OBJECT

 public:
  explicit CandidateGallery(CandidateModel* model, QWidget* parent = nullptr);

  int currentRow() const;
  void setCurrentRow(int row);
  QListView* view() const { return m_view; }

 signals:
  void candidateSelected(int row);  // -1: none (show the base image)
  void applyRequested(int row);
  void rerunRequested(int row);
  void discardRequested(int row);
  void exportAllRequested();

 private:
  void updateButtons();

  CandidateModel* m_model;
  QListView* m_view;
  QPushButton* m_apply;
  QPushButton* m_rerun;
  QPushButton* m_discard;
  QPushButton* m_exportAll;
};

}  // namespace bd::ui
