#pragma once
// The image with its edit mask: shows the image scaled (zoom, pan), paints the mask at
// image resolution (QImage::Format_Grayscale8, 255 = edit here) with a round brush of
// adjustable size and hardness, shows it as a coloured overlay, and records every mask
// change on a QUndoStack (one brush drag = one undo step).
//
// It also displays a result without touching the document: setDisplayImage() shows a
// candidate instead of the base image, setDisplayPatch() a live preview of the edited
// region over it; holding `\` (setCompareOriginal) shows the base image alone again.
// Images are drawn through ImagePyramids, so zooming a 4096² photo stays smooth.
#include <QColor>
#include <QImage>
#include <QPointer>
#include <QPolygonF>
#include <QWidget>

#include "image_pyramid.h"
#include "mask_ops.h"

#include <QUndoStack>

namespace bd::ui {

class BrushStrokeCommand;

class MaskCanvas : public QWidget {
  Q_OBJECT

 public:
  enum class Tool { Brush, Eraser, Rectangle, Lasso };
  Q_ENUM(Tool)

  explicit MaskCanvas(QWidget* parent = nullptr);
  ~MaskCanvas() override;

  // The undo stack mask edits go to (the canvas makes its own unless given one).
  void setUndoStack(QUndoStack* stack);
  QUndoStack* undoStack() const { return m_undoStack; }

  // A new document: the image becomes the base, the mask is cleared, the view fits.
  // Not undoable (it also clears the undo stack).
  void setImage(const QImage& image);
  QImage image() const { return m_image; }
  bool hasImage() const { return !m_image.isNull(); }
  // Replaces the base image as one undo step, keeping the mask (Apply a candidate).
  void replaceImage(const QImage& image, const QString& undoText);

  QImage mask() const { return m_mask; }
  // Replaces the whole mask as one undo step. Resized (nearest) to the image if needed.
  void setMask(const QImage& mask, const QString& undoText);
  bool loadMask(const QString& path, QString* error = nullptr);
  bool saveMask(const QString& path, QString* error = nullptr) const;

  // Shows `image` (same size as the base) instead of the base image; the document is
  // unchanged. A null image goes back to the base.
  void setDisplayImage(const QImage& image);
  // Shows the base with `patch` over it, its top-left at `at` (image pixels): a live
  // preview, which changes only the edited region. Converting and drawing just that part
  // is what keeps previews of a 4096² photo cheap. A patch that does not fit is ignored.
  void setDisplayPatch(const QImage& patch, QPoint at);
  void clearDisplayImage() { setDisplayImage(QImage()); }
  // The shown candidate or preview patch (null: none) and where it lies.
  QImage displayImage() const { return m_display; }
  QPoint displayOffset() const { return m_displayAt; }
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
  void setOverlayOpacity(double opacity);  // [0, 1]
  double overlayOpacity() const { return m_overlayOpacity; }
  void setOverlayColor(const QColor& color);
  QColor overlayColor() const { return m_overlayColor; }
  void setMaskVisible(bool visible);
  bool isMaskVisible() const { return m_maskVisible; }

  // Mask operations, each one undo step.
  void invertMask();
  void clearMask();
  void growMask(int px);  // negative shrinks
  void fillRect(const QRect& imageRect, bool erase = false);
  void fillPolygon(const QPolygonF& imagePolygon, bool erase = false);

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

  // For the undo commands: write without recording.
  void writeMaskRect(const QRect& rect, const QImage& patch);
  void writeMask(const QImage& mask);
  void writeImage(const QImage& image);

  QSize sizeHint() const override { return {800, 600}; }

 signals:
  void imageChanged();  // the base image (open, apply, undo of apply)
  void maskChanged();
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
  void updateImageRect(const QRect& imageRect);
  QRectF imageTargetRect() const;
  QRect cursorRect(QPointF widgetPoint) const;
  QRect lassoWidgetRect() const;
  void pushMaskSnapshot(const QString& text, const QImage& before, const QImage& after);

  QImage m_image;    // document base image
  QImage m_mask;     // Grayscale8, image size
  QImage m_display;  // candidate shown instead of m_image, or preview patch over it
  QPoint m_displayAt;
  ImagePyramid* m_basePyramid;
  ImagePyramid* m_displayPyramid;
  QPointer<QUndoStack> m_undoStack;

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

  // Interaction.
  bool m_spaceHeld = false;
  bool m_panning = false;
  QPointF m_panLast;
  bool m_stroking = false;
  int m_strokeSerial = 0;
  bool m_strokeErase = false;
  QImage m_strokeStart;
  QPointF m_strokeLast;  // image space
  bool m_rubberBand = false;
  bool m_rubberErase = false;
  QPointF m_rubberStart, m_rubberEnd;  // image space
  bool m_lassoing = false;
  bool m_lassoErase = false;
  QPolygonF m_lasso;         // image space, closed on release
  QPointF m_cursor{-1, -1};  // widget space; negative: outside
};

}  // namespace bd::ui
