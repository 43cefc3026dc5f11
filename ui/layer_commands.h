#pragma once
// Undo commands on a Document's layers. Coarse edits (invert, grow, load a mask, apply a
// candidate, set the scribble layer) store before/after snapshots of the one layer they
// change (Flameshot's way).
#include <QImage>
#include <QRect>
#include <QUndoCommand>

#include "document.h"

namespace bd::ui {

class LayerSnapshotCommand : public QUndoCommand {
 public:
  LayerSnapshotCommand(Document* document, Layer layer, const QString& text, const QImage& before,
                       const QImage& after);
  void undo() override;
  void redo() override;
  Layer layer() const { return m_layer; }

 private:
  Document* m_document;
  Layer m_layer;
  QImage m_before, m_after;
};

}  // namespace bd::ui
