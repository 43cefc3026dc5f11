#include "candidate_gallery.h"

#include <QGridLayout>
#include <QItemSelectionModel>
#include <QListView>
#include <QPushButton>
#include <QVBoxLayout>

#include "candidate_model.h"

namespace bd::ui {

CandidateGallery::CandidateGallery(CandidateModel* model, QWidget* parent)
    : QWidget(parent), m_model(model) {
  m_view = new QListView(this);
  m_view->setObjectName("candidateView");
  m_view->setModel(model);
  m_view->setViewMode(QListView::IconMode);
  m_view->setIconSize(QSize(CandidateModel::kThumbnailSize, CandidateModel::kThumbnailSize));
  m_view->setGridSize(
      QSize(CandidateModel::kThumbnailSize + 16, CandidateModel::kThumbnailSize + 44));
  m_view->setResizeMode(QListView::Adjust);
  m_view->setMovement(QListView::Static);
  m_view->setWordWrap(true);
  m_view->setUniformItemSizes(true);
  m_view->setSelectionMode(QAbstractItemView::SingleSelection);
  m_view->setToolTip(
      tr("Candidates, best first (lowest CLIP distance). Click one to see it; "
         "hold \\ to compare with the original."));

  m_apply = new QPushButton(tr("Apply"), this);
  m_apply->setToolTip(
      tr("Make this candidate the new image (undoable), so the next edit builds on it"));
  m_rerun = new QPushButton(tr("Re-run seed"), this);
  m_rerun->setToolTip(
      tr("Generate again with this candidate's seed (one candidate) and the current settings"));
  m_discard = new QPushButton(tr("Discard"), this);
  m_discard->setToolTip(tr("Remove this candidate from the gallery"));
  m_exportAll = new QPushButton(tr("Export all…"), this);
  m_exportAll->setToolTip(tr("Write every candidate, with its parameters, to a folder"));

  auto* buttons = new QGridLayout;
  buttons->addWidget(m_apply, 0, 0);
  buttons->addWidget(m_rerun, 0, 1);
  buttons->addWidget(m_discard, 1, 0);
  buttons->addWidget(m_exportAll, 1, 1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_view, 1);
  layout->addLayout(buttons);

  connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this,
          [this](const QModelIndex& current) {
            updateButtons();
            emit candidateSelected(current.isValid() ? current.row() : -1);
          });
  connect(m_view, &QListView::doubleClicked, this,
          [this](const QModelIndex& i) { emit applyRequested(i.row()); });
  connect(m_apply, &QPushButton::clicked, this, [this] { emit applyRequested(currentRow()); });
  connect(m_rerun, &QPushButton::clicked, this, [this] { emit rerunRequested(currentRow()); });
  connect(m_discard, &QPushButton::clicked, this, [this] { emit discardRequested(currentRow()); });
  connect(m_exportAll, &QPushButton::clicked, this, &CandidateGallery::exportAllRequested);
  connect(model, &QAbstractItemModel::rowsInserted, this, &CandidateGallery::updateButtons);
  connect(model, &QAbstractItemModel::rowsRemoved, this, &CandidateGallery::updateButtons);
  connect(model, &QAbstractItemModel::modelReset, this, &CandidateGallery::updateButtons);
  updateButtons();
}

int CandidateGallery::currentRow() const {
  const QModelIndex i = m_view->currentIndex();
  return i.isValid() ? i.row() : -1;
}

void CandidateGallery::setCurrentRow(int row) {
  if (row < 0 || row >= m_model->rowCount()) {
    m_view->selectionModel()->clearCurrentIndex();
    m_view->clearSelection();
    emit candidateSelected(-1);
    return;
  }
  m_view->setCurrentIndex(m_model->index(row));
}

void CandidateGallery::updateButtons() {
  const bool has = currentRow() >= 0;
  m_apply->setEnabled(has);
  m_rerun->setEnabled(has);
  m_discard->setEnabled(has);
  m_exportAll->setEnabled(m_model->rowCount() > 0);
}

}  // namespace bd::ui
