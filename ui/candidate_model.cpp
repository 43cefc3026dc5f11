#include "candidate_model.h"

#include <algorithm>

namespace bd::ui {

CandidateModel::CandidateModel(QObject* parent) : QAbstractListModel(parent) {}

int CandidateModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : m_items.size();
}

QVariant CandidateModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= m_items.size()) return {};
  const Item& item = m_items[index.row()];
  switch (role) {
    case Qt::DisplayRole:
      return tr("score %1\nseed %2").arg(item.entry.score, 0, 'f', 4).arg(item.entry.seed);
    case Qt::DecorationRole:
      return item.thumbnail;
    case Qt::ToolTipRole:
      return tr("Rank %1 of %2\nCLIP distance %3 (lower is better)\nSeed %4 (re-run with it to "
                "reproduce)")
          .arg(index.row() + 1)
          .arg(m_items.size())
          .arg(item.entry.score, 0, 'f', 5)
          .arg(item.entry.seed);
    case ScoreRole:
      return item.entry.score;
    case SeedRole:
      return QVariant::fromValue(item.entry.seed);
    case ImageRole:
      return item.entry.image;
    case ParametersRole:
      return item.entry.parameters;
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

int CandidateModel::addCandidate(const CandidateEntry& candidate) {
  const auto pos =
      std::upper_bound(m_items.begin(), m_items.end(), candidate.score,
                       [](double score, const Item& item) { return score < item.entry.score; });
  const int row = static_cast<int>(pos - m_items.begin());
  Item item{candidate,
            candidate.thumbnail.isNull() ? makeThumbnail(candidate.image) : candidate.thumbnail};
  beginInsertRows({}, row, row);
  m_items.insert(row, std::move(item));
  endInsertRows();
  // The rows below moved down one rank. (The rank is not in the display text, so a row's
  // text never changes under a view that is showing it.)
  if (row + 1 < m_items.size())
    emit dataChanged(index(row + 1), index(m_items.size() - 1), {RankRole, Qt::ToolTipRole});
  return row;
}

QImage CandidateModel::makeThumbnail(const QImage& image) {
  return image.scaled(kThumbnailSize, kThumbnailSize, Qt::KeepAspectRatio,
                      Qt::SmoothTransformation);
}

void CandidateModel::removeCandidate(int row) {
  if (row < 0 || row >= m_items.size()) return;
  beginRemoveRows({}, row, row);
  m_items.removeAt(row);
  endRemoveRows();
  if (row < m_items.size())
    emit dataChanged(index(row), index(m_items.size() - 1), {RankRole, Qt::ToolTipRole});
}

void CandidateModel::clear() {
  if (m_items.isEmpty()) return;
  beginResetModel();
  m_items.clear();
  endResetModel();
}

}  // namespace bd::ui
