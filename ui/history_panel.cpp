#include "history_panel.h"

#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QScopedValueRollback>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "candidate_model.h"
#include "document.h"

namespace bd::ui {

namespace {

constexpr int kJobRole = Qt::UserRole + 1;
constexpr int kRowRole = Qt::UserRole + 2;  // -1 on a job's own line
constexpr int kParamsShown = 44;            // characters of the parameter line on the job

QString stateText(JobRecord::State state) {
  switch (state) {
    case JobRecord::State::Running:
      return HistoryPanel::tr("running");
    case JobRecord::State::Done:
      return HistoryPanel::tr("done");
    case JobRecord::State::Cancelled:
      return HistoryPanel::tr("cancelled");
    case JobRecord::State::Failed:
      return HistoryPanel::tr("failed");
  }
  return {};
}

}  // namespace

HistoryPanel::HistoryPanel(Document* document, QWidget* parent)
    : QWidget(parent), m_document(document) {
  m_summary = new QLabel(this);
  m_summary->setWordWrap(true);
  m_tree = new QTreeWidget(this);
  m_tree->setObjectName("historyTree");
  m_tree->setHeaderHidden(true);
  m_tree->setColumnCount(1);
  m_tree->setIconSize(QSize(kIconSize, kIconSize));
  m_tree->setUniformRowHeights(false);
  m_tree->setWordWrap(true);
  m_tree->setSelectionMode(QAbstractItemView::SingleSelection);
  m_tree->setToolTip(
      tr("Every Generate on this image, newest first, kept between sessions. "
         "Click a candidate to see it."));
  m_apply = new QPushButton(tr("Apply"), this);
  m_apply->setToolTip(tr("Make this candidate the new image (undoable)"));
  m_rerun = new QPushButton(tr("Re-run seed"), this);
  m_rerun->setToolTip(tr("Generate this candidate's job again with its seed (one candidate)"));
  m_export = new QPushButton(tr("Export…"), this);
  m_export->setToolTip(tr("Write this candidate, with its parameters, to a file"));
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(m_apply);
  buttons->addWidget(m_rerun);
  buttons->addWidget(m_export);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_summary);
  layout->addWidget(m_tree, 1);
  layout->addLayout(buttons);

  auto withSelection = [this](void (HistoryPanel::*signal)(int, int)) {
    return [this, signal] {
      const auto [job, row] = selectedCandidate();
      if (job >= 0) emit(this->*signal)(job, row);
    };
  };
  connect(m_apply, &QPushButton::clicked, this, withSelection(&HistoryPanel::applyRequested));
  connect(m_rerun, &QPushButton::clicked, this, withSelection(&HistoryPanel::rerunRequested));
  connect(m_export, &QPushButton::clicked, this, withSelection(&HistoryPanel::exportRequested));
  connect(m_tree, &QTreeWidget::itemSelectionChanged, this, [this] {
    updateButtons();
    if (m_rebuilding) return;
    const auto [job, row] = selectedCandidate();
    if (job >= 0) emit showRequested(job, row);
  });
  auto remember = [this](QTreeWidgetItem* item, bool expanded) {
    if (!m_rebuilding && item->data(0, kRowRole).toInt() < 0)
      m_expanded.insert(item->data(0, Qt::UserRole).toString(), expanded);
  };
  connect(m_tree, &QTreeWidget::itemExpanded, this,
          [remember](QTreeWidgetItem* i) { remember(i, true); });
  connect(m_tree, &QTreeWidget::itemCollapsed, this,
          [remember](QTreeWidgetItem* i) { remember(i, false); });
  connect(document, &Document::historyChanged, this, &HistoryPanel::rebuild);
  connect(document, &Document::documentReplaced, this, [this] {
    m_icons.clear();
    m_expanded.clear();
    rebuild();
  });
  connect(document, &Document::shownCandidateChanged, this, &HistoryPanel::followDocument);
  connect(document, &Document::currentJobChanged, this, &HistoryPanel::followDocument);
  rebuild();
}

QIcon HistoryPanel::iconFor(const QImage& image, const QImage& thumbnail) {
  // Restored candidates have only a thumbnail until they are shown.
  const qint64 key = thumbnail.isNull() ? image.cacheKey() : thumbnail.cacheKey();
  auto it = m_icons.find(key);
  if (it == m_icons.end()) {
    const QImage small = thumbnail.isNull() ? CandidateModel::makeThumbnail(image) : thumbnail;
    it = m_icons.insert(key, QIcon(QPixmap::fromImage(small)));
  }
  return *it;
}

void HistoryPanel::rebuild() {
  const QScopedValueRollback guard(m_rebuilding, true);
  const QVector<JobRecord>& jobs = m_document->jobs();
  m_tree->clear();
  int candidates = 0;
  for (int j = jobs.size() - 1; j >= 0; --j) {
    const JobRecord& job = jobs[j];
    candidates += job.candidates.size();
    auto* jobItem = new QTreeWidgetItem(m_tree);
    jobItem->setData(0, kJobRole, j);
    jobItem->setData(0, kRowRole, -1);
    jobItem->setData(0, Qt::UserRole, job.id);
    // Short lines: the dock is narrow, and a long line would be cut off. The whole
    // parameter line is the tooltip.
    const QString params = job.parameters.size() > kParamsShown
                               ? job.parameters.left(kParamsShown - 1) + "…"
                               : job.parameters;
    jobItem->setText(
        0, tr("“%1”\n%2 · %3\n%4 · %n candidate(s)\n%5", nullptr, job.candidates.size())
               .arg(job.prompt, job.started.toString(QStringLiteral("yyyy-MM-dd HH:mm")), job.pack,
                    stateText(job.state), params));
    jobItem->setToolTip(0, job.parameters);
    QFont bold = jobItem->font(0);
    bold.setBold(true);
    jobItem->setFont(0, bold);
    jobItem->setFlags(Qt::ItemIsEnabled);
    for (int row = 0; row < job.candidates.size(); ++row) {
      const CandidateEntry& c = job.candidates[row];
      auto* item = new QTreeWidgetItem(jobItem);
      item->setData(0, kJobRole, j);
      item->setData(0, kRowRole, row);
      QString marks;
      if (c.applied) marks += tr(" · applied");
      if (c.exported) marks += tr(" · exported");
      item->setText(0, tr("#%1  score %2\nseed %3%4")
                           .arg(row + 1)
                           .arg(c.score, 0, 'f', 4)
                           .arg(c.seed)
                           .arg(marks));
      item->setIcon(0, iconFor(c.image, c.thumbnail));
      item->setToolTip(0, c.parameters);
    }
    // The newest job open, the others as the user left them (closed at first).
    jobItem->setExpanded(m_expanded.value(job.id, j == jobs.size() - 1));
  }
  m_summary->setText(jobs.isEmpty() ? tr("No jobs yet: results of every Generate are kept here.")
                                    : tr("%n job(s), ", nullptr, jobs.size()) +
                                          tr("%n candidate(s)", nullptr, candidates));
  followDocument();
}

QPair<int, int> HistoryPanel::selectedCandidate() const {
  const QList<QTreeWidgetItem*> items = m_tree->selectedItems();
  if (items.isEmpty() || items.front()->data(0, kRowRole).toInt() < 0) return {-1, -1};
  return {items.front()->data(0, kJobRole).toInt(), items.front()->data(0, kRowRole).toInt()};
}

void HistoryPanel::selectCandidate(int job, int row) {
  const int jobs = m_document->jobs().size();
  if (job < 0 || job >= jobs) return;
  QTreeWidgetItem* jobItem = m_tree->topLevelItem(jobs - 1 - job);
  if (!jobItem || row < 0 || row >= jobItem->childCount()) return;
  jobItem->setExpanded(true);
  m_tree->setCurrentItem(jobItem->child(row));
}

void HistoryPanel::followDocument() {
  const int job = m_document->currentJob();
  const int row = m_document->shownCandidate();
  const auto selected = selectedCandidate();
  if (selected == qMakePair(job, row)) return;
  const QScopedValueRollback guard(m_rebuilding, true);
  if (job >= 0 && row >= 0) {
    selectCandidate(job, row);
  } else if (selected.first >= 0) {
    m_tree->clearSelection();
  }
  updateButtons();
}

void HistoryPanel::updateButtons() {
  const bool has = selectedCandidate().first >= 0;
  m_apply->setEnabled(has);
  m_rerun->setEnabled(has);
  m_export->setEnabled(has);
}

}  // namespace bd::ui
