#pragma once
// The candidates of the current edit, best (lowest CLIP distance) first. Candidates are
// inserted at their sorted place as they arrive from the worker, so the view fills
// while the edit runs.
#include <QAbstractListModel>
#include <QImage>
#include <QVector>

#include "edit_types.h"

namespace bd::ui {

class CandidateModel : public QAbstractListModel {
  Q_OBJECT

 public:
  enum Role {
    ScoreRole = Qt::UserRole + 1,
    SeedRole,
    ImageRole,       // the full-resolution QImage
    ParametersRole,  // the PNG "parameters" text
    RankRole,        // 1-based
  };

  explicit CandidateModel(QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QHash<int, QByteArray> roleNames() const override;

  // Inserts in score order (stable: equal scores keep arrival order); returns the row.
  int addCandidate(const CandidateEntry& candidate);
  void removeCandidate(int row);
  void clear();
  const CandidateEntry& candidate(int row) const { return m_items[row].entry; }
  int count() const { return m_items.size(); }

  static constexpr int kThumbnailSize = 144;
  // The gallery's picture of `image`. Smooth scaling of a full-resolution photo takes
  // tens of milliseconds, so the worker makes it (CandidateEntry::thumbnail) and the
  // model only falls back to it here when a candidate arrives without one.
  static QImage makeThumbnail(const QImage& image);

 private:
  struct Item {
    CandidateEntry entry;
    QImage thumbnail;
  };
  QVector<Item> m_items;
};

}  // namespace bd::ui
