#include "candidate_model.h"

#include "document.h"

namespace bd::ui {

CandidateModel::CandidateModel(Document* document, QObject* parent)
    : QAbstractListModel(parent), m_document(document) {
  Q_ASSERT(document);
  connect(document, &Document::currentJobAboutToChange, this, [this] { beginResetModel(); });
  connect(document, &Document::currentJobChanged, this, [this] {
    m_madeThumbnails.clear();
    endResetModel();
  });
  connect(document, &Document::candidateAboutToBeAdded, this, [this](int job, int row) {
    if (job == m_document->currentJob()) beginInsertRows({}, row, row);
  });
  connect(document, &Document::candidateAdded, this, [this](int job, int row) {
    if (job != m_document->currentJob()) return;
    endInsertRows();
    // The rows below moved down one rank. (The rank is not in the display text, so a
    // row's text never changes under a view that is showing it.)
    if (row + 1 < rowCount())
      emit dataChanged(index(row + 1), index(rowCount() - 1), {RankRole, Qt::ToolTipRole});
  });
  connect(document, &Document::candidateAboutToBeRemoved, this, [this](int job, int row) {
    if (job == m_document->currentJob()) beginRemoveRows({}, row, row);
  });
  connect(document, &Document::candidateRemoved, this, [this](int job, int row) {
    if (job != m_document->currentJob()) return;
    endRemoveRows();
    if (row < rowCount())
      emit dataChanged(index(row), index(rowCount() - 1), {RankRole, Qt::ToolTipRole});
  });
}

int CandidateModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : m_document->candidates().size();
}

QVariant CandidateModel::data(const QModelIndex& index, int role) const {
  const QVector<CandidateEntry>& items = m_document->candidates();
  if (!index.isValid() || index.row() >= items.size()) return {};
  const CandidateEntry& item = items[index.row()];
  switch (role) {
    case Qt::DisplayRole:
      return tr("score %1\nseed %2").arg(item.score, 0, 'f', 4).arg(item.seed);
    case Qt::DecorationRole:
      return thumbnail(item);
    case Qt::ToolTipRole:
      return tr("Rank %1 of %2\nCLIP distance %3 (lower is better)\nSeed %4 (re-run with it to "
                "reproduce)")
          .arg(index.row() + 1)
          .arg(items.size())
          .arg(item.score, 0, 'f', 5)
          .arg(item.seed);
    case ScoreRole:
      return item.score;
    case SeedRole:
      return QVariant::fromValue(item.seed);
    case ImageRole:
      return m_document->candidateImage(m_document->currentJob(), index.row());
    case ParametersRole:
      return item.parameters;
    case RankRole:
      return index.row() + 1;
    default:
      return {};
  }
}

QHash<int, QByteArray> CandidateModel::roleNames() const {
  auto names = QAbstractListModel::roleNames();
  names[ScoreRole] = "score";
  names[SeedRole] = "seed";
  names[ImageRole] = "image";
  names[ParametersRole] = "parameters";
  names[RankRole] = "rank";
  return names;
}

QImage CandidateModel::thumbnail(const CandidateEntry& candidate) const {
  if (!candidate.thumbnail.isNull()) return candidate.thumbnail;
  QImage& made = m_madeThumbnails[candidate.image.cacheKey()];
  if (made.isNull()) made = makeThumbnail(candidate.image);
  return made;
}

QImage CandidateModel::makeThumbnail(const QImage& image) {
  return image.scaled(kThumbnailSize, kThumbnailSize, Qt::KeepAspectRatio,
                      Qt::SmoothTransformation);
}

}  // namespace bd::ui
