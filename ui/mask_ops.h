#pragma once
// Pixel operations on a mask (QImage::Format_Grayscale8 at image resolution, 255 = edit
// here). Pure functions on images so the canvas, its undo commands, the benchmarks and
// the tests share them.
#include <QImage>
#include <QPointF>
#include <QPolygonF>
#include <QRect>

namespace bd::ui {

struct BrushShape {
  double radius = 20.0;   // image pixels
  double hardness = 0.8;  // 1 = hard edge (1 px anti-aliasing), 0 = soft to the centre
  bool erase = false;
};

// Paints the capsule from `from` to `to` (a round dab when they are equal). Brush
// coverage combines with max (eraser: min), so a stroke never builds up over itself.
// Returns the changed rectangle, clipped to the mask.
QRect paintSegment(QImage& mask, QPointF from, QPointF to, const BrushShape& brush);

void invertMask(QImage& mask);
// Binary grow (px > 0) or shrink (px < 0) by a Euclidean distance; the result is 0/255.
void growMask(QImage& mask, int px);
void fillMaskRect(QImage& mask, const QRect& rect, bool erase);
// Fills (or erases) the inside of a closed polygon in image coordinates, winding rule, so
// a lasso that crosses itself still fills everything it encircles. Hard-edged like the
// rectangle fill: a pixel is in when its centre is. Returns the changed rectangle.
QRect fillMaskPolygon(QImage& mask, const QPolygonF& polygon, bool erase);
// Share of pixels at or above 128, in [0, 1].
double maskCoverage(const QImage& mask);
bool maskIsEmpty(const QImage& mask);
QImage blankMask(const QSize& size);

}  // namespace bd::ui
