#pragma once
// Undo commands of the canvas. A brush drag pushes one BrushStrokeCommand per mouse move;
// they merge (same stroke serial), so the whole drag is one undo step. Coarse edits
// (invert, grow, load, apply a candidate) store before/after snapshots (Flameshot's way).
#include <QImage>
#include <QRect>
#include <QUndoCommand>

namespace bd::ui {

class MaskCanvas;

class BrushStrokeCommand : public QUndoCommand {
 public:
  // `strokeStart` is the mask as it was when the drag began (implicitly shared, so
  // holding it costs nothing until the live mask detaches); `rect` the area this mouse
  // move changed. The paint itself already happened live, so the first redo() is a no-op.
  BrushStrokeCommand(MaskCanvas* canvas, int stroke, const QImage& strokeStart, const QRect& rect,
                     bool erase);

  int id() const override;
  bool mergeWith(const QUndoCommand* other) override;
  void undo() override;
  void redo() override;
  // Called when the drag ends: keeps only the changed rectangle of the snapshot.
  void finish();
  int stroke() const { return m_stroke; }
  QRect rect() const { return m_rect; }

 private:
  MaskCanvas* m_canvas;
  int m_stroke;
  QImage m_strokeStart;
  QRect m_rect;
  QImage m_before, m_after;  // patches of m_rect, made lazily
  bool m_firstRedo = true;
};

class MaskSnapshotCommand : public QUndoCommand {
 public:
  MaskSnapshotCommand(MaskCanvas* canvas, const QString& text, const QImage& before,
                      const QImage& after);
  void undo() override;
  void redo() override;

 private:
  MaskCanvas* m_canvas;
  QImage m_before, m_after;
};

// Replaces the base image (Apply a candidate), keeping the mask so edits can chain.
class ImageSnapshotCommand : public QUndoCommand {
 public:
  ImageSnapshotCommand(MaskCanvas* canvas, const QString& text, const QImage& before,
                       const QImage& after);
  void undo() override;
  void redo() override;

 private:
  MaskCanvas* m_canvas;
  QImage m_before, m_after;
};

}  // namespace bd::ui
