#pragma once
// A view of a Document: shows its image scaled (zoom, pan) with the mask as a coloured
// overlay, and edits the mask through the document with its tools (brush, eraser,
// rectangle, lasso: canvas_tools.h), so every change is an undo step there. It owns no
// document data: what it draws it reads from the document when it paints, and the
// document's signals tell it what to repaint.
//
// Results are shown over the image without changing it: the document's shown candidate
// instead of the image, else the running edit's live preview over the edited region;
// holding `\` (setCompareOriginal) shows the image alone again. Images are drawn through
// ImagePyramids (render caches), so zooming a 4096² photo stays smooth.
#include <QColor>
#include <QImage>
#include <QPolygonF>
#include <QWidget>
#include <memory>

#include "mask_ops.h"

namespace bd::ui {

class BrushTool;
class CanvasTool;
class Document;
class ImagePyramid;
class LassoTool;
class RectangleTool;

class MaskCanvas : public QWidget {
  Q_OBJECT

 public:
  enum class Tool { Brush, Eraser, Rectangle, Lasso };
  Q_ENUM(Tool)

  explicit MaskCanvas(Document* document, QWidget* parent = nullptr);
  ~MaskCanvas() override;

  Document* document() const { return m_document; }

  // What is drawn over the image, read from the document: the shown candidate (offset
  // 0, 0), else the live preview patch at its offset; null when the image shows alone.
  QImage displayImage() const;
  QPoint displayOffset() const;
  // What is on screen now, as one image the base's size (a preview patch is composed
  // onto a copy of the base): the display unless comparing, else the base.
  QImage shownImage() const;
  void setCompareOriginal(bool on);
  bool isComparingOriginal() const { return m_compare; }

  // Mask tools.
  void setTool(Tool tool);
  Tool tool() const { return m_tool; }
  void setBrushRadius(double radius);  // image pixels, clamped to [1, 1000]
  double brushRadius() const { return m_brush.radius; }
  void setBrushHardness(double hardness);  // [0, 1]
  double brushHardness() const { return m_brush.hardness; }
  BrushShape brushShape() const { return m_brush; }
  void setOverlayOpacity(double opacity);  // [0, 1]
  double overlayOpacity() const { return m_overlayOpacity; }
  void setOverlayColor(const QColor& color);
  QColor overlayColor() const { return m_overlayColor; }
  void setMaskVisible(bool visible);
  bool isMaskVisible() const { return m_maskVisible; }

  // Paints a stroke through image-space points, as a mouse drag would (one undo step).
  // Used by tests, scripts and benchmarks.
  void paintStroke(const QVector<QPointF>& imagePoints, bool erase = false);
  // The pieces of a drag, for callers that time single mouse moves.
  void beginStroke(QPointF imagePoint, bool erase);
  void continueStroke(QPointF imagePoint);
  void endStroke();

  // View. Zoom is widget pixels per image pixel.
  double zoom() const { return m_zoom; }
  void setZoom(double zoom, QPointF anchorWidget);
  void setZoom(double zoom) { setZoom(zoom, QPointF(width() / 2.0, height() / 2.0)); }
  void zoomIn();
  void zoomOut();
  void fitToWindow();
  void actualSize();
  bool isFitting() const { return m_fit; }
  QPointF widgetToImage(QPointF widgetPoint) const;
  QPointF imageToWidget(QPointF imagePoint) const;
  QPointF panOffset() const { return m_offset; }
  void panBy(QPointF widgetDelta);
  // Schedules a repaint of an image-space rectangle (tools call it for their outlines).
  void updateImageRect(const QRectF& imageRect);

  QSize sizeHint() const override { return {800, 600}; }

 signals:
  void zoomChanged(double zoom);
  void brushRadiusChanged(double radius);
  void toolChanged(bd::ui::MaskCanvas::Tool tool);
  void compareChanged(bool comparing);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void keyReleaseEvent(QKeyEvent* event) override;
  void leaveEvent(QEvent* event) override;
  void focusOutEvent(QFocusEvent* event) override;

 private:
  void onDocumentReplaced();
  void onImageChanged();
  void onShownCandidateChanged();
  void onPreviewChanged(const QRect& imageRect);
  CanvasTool* toolFor(Tool tool) const;
  QRectF imageTargetRect() const;
  QRect cursorRect(QPointF widgetPoint) const;

  Document* m_document;
  ImagePyramid* m_basePyramid;     // render cache of the document's image
  ImagePyramid* m_displayPyramid;  // of the shown candidate or the preview patch

  // View state.
  double m_zoom = 1.0;
  QPointF m_offset;  // widget position of image pixel (0, 0)
  bool m_fit = true;

  // Tools.
  Tool m_tool = Tool::Brush;
  BrushShape m_brush;
  double m_overlayOpacity = 0.5;
  QColor m_overlayColor = QColor(255, 40, 90);
  bool m_maskVisible = true;
  bool m_compare = false;
  std::unique_ptr<BrushTool> m_brushTool;
  std::unique_ptr<RectangleTool> m_rectangleTool;
  std::unique_ptr<LassoTool> m_lassoTool;
  CanvasTool* m_dragTool = nullptr;  // the tool a button press started, until release

  // Interaction.
  bool m_spaceHeld = false;
  bool m_panning = false;
  QPointF m_panLast;
  QPointF m_cursor{-1, -1};  // widget space; negative: outside
};

}  // namespace bd::ui
