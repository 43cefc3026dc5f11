#include "candidate_gallery.h"

#include <QComboBox>
#include <QGridLayout>
#include <QItemSelectionModel>
#include <QListView>
#include <QPushButton>
#include <QScopedValueRollback>
#include <QVBoxLayout>

#include "candidate_model.h"
#include "document.h"

namespace bd::ui {

CandidateGallery::CandidateGallery(CandidateModel* model, QWidget* parent)
    : QWidget(parent), m_model(model) {
  m_jobs = new QComboBox(this);
  m_jobs->setObjectName("jobList");
  m_jobs->setToolTip(tr("Earlier Generates of this image: pick one to see its candidates again"));
  m_jobs->hide();
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
  layout->addWidget(m_jobs);
  layout->addWidget(m_view, 1);
  layout->addLayout(buttons);

  connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this,
          [this](const QModelIndex& current) {
            updateButtons();
            if (!m_following && !m_modelChanging)
              m_model->document()->setShownCandidate(current.isValid() ? current.row() : -1);
          });
  connect(m_view, &QListView::doubleClicked, this,
          [this](const QModelIndex& i) { emit applyRequested(i.row()); });
  connect(m_apply, &QPushButton::clicked, this, [this] { emit applyRequested(currentRow()); });
  connect(m_rerun, &QPushButton::clicked, this, [this] { emit rerunRequested(currentRow()); });
  connect(m_discard, &QPushButton::clicked, this, [this] { emit discardRequested(currentRow()); });
  connect(m_exportAll, &QPushButton::clicked, this, &CandidateGallery::exportAllRequested);
  // While rows move, the view moves its current row by itself (onto a neighbour of a
  // removed one); the document decides what is shown and says so afterwards.
  auto changing = [this](bool on) { return [this, on] { m_modelChanging = on; }; };
  connect(model, &QAbstractItemModel::rowsAboutToBeInserted, this, changing(true));
  connect(model, &QAbstractItemModel::rowsAboutToBeRemoved, this, changing(true));
  connect(model, &QAbstractItemModel::modelAboutToBeReset, this, changing(true));
  for (auto done : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
    connect(model, done, this, [this] {
      m_modelChanging = false;
      updateButtons();
    });
  connect(model, &QAbstractItemModel::modelReset, this, [this] {
    m_modelChanging = false;
    updateButtons();
  });
  Document* document = model->document();
  connect(document, &Document::shownCandidateChanged, this,
          &CandidateGallery::followShownCandidate);
  connect(document, &Document::historyChanged, this, &CandidateGallery::rebuildJobList);
  connect(document, &Document::currentJobChanged, this, &CandidateGallery::rebuildJobList);
  connect(m_jobs, &QComboBox::activated, document, &Document::setCurrentJob);
  rebuildJobList();
  updateButtons();
}

int CandidateGallery::currentRow() const {
  const QModelIndex i = m_view->currentIndex();
  return i.isValid() ? i.row() : -1;
}

void CandidateGallery::setCurrentRow(int row) { m_model->document()->setShownCandidate(row); }

void CandidateGallery::followShownCandidate(int row) {
  const QScopedValueRollback guard(m_following, true);
  if (row < 0 || row >= m_model->rowCount()) {
    m_view->selectionModel()->clearCurrentIndex();
    m_view->clearSelection();
  } else {
    m_view->setCurrentIndex(m_model->index(row));
  }
  updateButtons();
}

void CandidateGallery::rebuildJobList() {
  const Document* document = m_model->document();
  const QVector<JobRecord>& jobs = document->jobs();
  const QSignalBlocker blocker(m_jobs);
  m_jobs->clear();
  for (int i = 0; i < jobs.size(); ++i) {
    const JobRecord& job = jobs[i];
    m_jobs->addItem(tr("%1. %2 (%n candidate(s), %3)", nullptr, job.candidates.size())
                        .arg(i + 1)
                        .arg(job.prompt, job.started.toString(QStringLiteral("HH:mm:ss"))));
    m_jobs->setItemData(i, job.parameters, Qt::ToolTipRole);
  }
  m_jobs->setCurrentIndex(document->currentJob());
  m_jobs->setVisible(jobs.size() > 1);
}

void CandidateGallery::updateButtons() {
  const bool has = currentRow() >= 0;
  m_apply->setEnabled(has);
  m_rerun->setEnabled(has);
  m_discard->setEnabled(has);
  m_exportAll->setEnabled(m_model->rowCount() > 0);
}

}  // namespace bd::ui
