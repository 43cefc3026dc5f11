#pragma once
// Undo commands on a Document's layers. A brush drag pushes one BrushStrokeCommand per
// mouse move; they merge (same stroke serial), so the whole drag is one undo step.
// Coarse edits (invert, grow, load a mask, apply a candidate, set the scribble layer)
// store before/after snapshots of the one layer they change (Flameshot's way).
#include <QImage>
#include <QRect>
#include <QUndoCommand>

#include "document.h"

namespace bd::ui {

class BrushStrokeCommand : public QUndoCommand {
 public:
  // `strokeStart` is the layer as it was when the drag began (implicitly shared, so
  // holding it costs nothing until the live layer detaches); `rect` the area this mouse
  // move changed. The paint itself already happened live, so the first redo() is a no-op.
  BrushStrokeCommand(Document* document, Layer layer, int stroke, const QImage& strokeStart,
                     const QRect& rect, bool erase);

  int id() const override;
  bool mergeWith(const QUndoCommand* other) override;
  void undo() override;
  void redo() override;
  // Called when the drag ends: keeps only the changed rectangle of the snapshot.
  void finish();
  int stroke() const { return m_stroke; }
  QRect rect() const { return m_rect; }

 private:
  Document* m_document;
  Layer m_layer;
  int m_stroke;
  QImage m_strokeStart;
  QRect m_rect;
  QImage m_before, m_after;  // patches of m_rect, made lazily
  bool m_firstRedo = true;
};

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
