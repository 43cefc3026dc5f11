#pragma once
// The candidates of the document's current job as a list model, best (lowest CLIP
// distance) first. It holds no candidates of its own: rows are the Document's, and its
// signals (a candidate added at its sorted place while the edit runs, one removed, another
// job made current) become the model's row signals, so the view fills as results arrive.
#include <QAbstractListModel>
#include <QHash>
#include <QImage>

#include "edit_types.h"

namespace bd::ui {

class Document;

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

  explicit CandidateModel(Document* document, QObject* parent = nullptr);

  Document* document() const { return m_document; }
  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QHash<int, QByteArray> roleNames() const override;

  static constexpr int kThumbnailSize = 144;
  // The gallery's picture of `image`. Smooth scaling of a full-resolution photo takes
  // tens of milliseconds, so the worker makes it (CandidateEntry::thumbnail) and the
  // model only falls back to it here (once per image) when a candidate has none.
  static QImage makeThumbnail(const QImage& image);

 private:
  QImage thumbnail(const CandidateEntry& candidate) const;

  Document* m_document;
  mutable QHash<qint64, QImage> m_madeThumbnails;  // by the candidate image's cacheKey
};

}  // namespace bd::ui
