#pragma once
// The canvas's mask tools. Each turns one button drag (press, moves, release, in image
// pixels) into edits of the canvas's Document, and may draw an outline of the drag in
// progress. They hold no document data beyond the drag itself.
#include <QImage>
#include <QPointF>
#include <QPolygonF>

class QPainter;

namespace bd::ui {

class MaskCanvas;

class CanvasTool {
 public:
  explicit CanvasTool(MaskCanvas* canvas) : m_canvas(canvas) {}
  virtual ~CanvasTool() = default;
  // `erase`: the eraser, the right button or Alt.
  virtual void press(QPointF imagePoint, bool erase) = 0;
  virtual void move(QPointF imagePoint) = 0;
  virtual void release(QPointF imagePoint) = 0;
  // Drops a drag in progress without editing (the document was replaced under it).
  virtual void cancel() = 0;
  // Draws the drag in progress, in widget coordinates.
  virtual void paint(QPainter&) const {}

 protected:
  MaskCanvas* m_canvas;
};

// Brush and eraser: paints live into the mask, one merged undo step per drag.
class BrushTool : public CanvasTool {
 public:
  using CanvasTool::CanvasTool;
  void press(QPointF imagePoint, bool erase) override;
  void move(QPointF imagePoint) override;
  void release(QPointF imagePoint) override;
  void cancel() override;
  bool isStroking() const { return m_stroking; }

 private:
  bool m_stroking = false;
  int m_strokeSerial = 0;
  bool m_erase = false;
  QImage m_strokeStart;  // the mask when the drag began (shared until painting detaches)
  QPointF m_last;
};

// Drag a rectangle; release fills (or clears) it.
class RectangleTool : public CanvasTool {
 public:
  using CanvasTool::CanvasTool;
  void press(QPointF imagePoint, bool erase) override;
  void move(QPointF imagePoint) override;
  void release(QPointF imagePoint) override;
  void cancel() override;
  void paint(QPainter& painter) const override;

 private:
  bool m_active = false;
  bool m_erase = false;
  QPointF m_start, m_end;
};

// Drag around a region; release closes the outline and fills (or clears) its inside.
class LassoTool : public CanvasTool {
 public:
  using CanvasTool::CanvasTool;
  void press(QPointF imagePoint, bool erase) override;
  void move(QPointF imagePoint) override;
  void release(QPointF imagePoint) override;
  void cancel() override;
  void paint(QPainter& painter) const override;

 private:
  bool m_active = false;
  bool m_erase = false;
  QPolygonF m_outline;  // image space
};

}  // namespace bd::ui
