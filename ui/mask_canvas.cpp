#include "mask_canvas.h"

#include <QFileInfo>
#include <QImageReader>
#include <QImageWriter>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QSaveFile>
#include <QUndoStack>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

#include "mask_commands.h"
#include "undo_ids.h"

namespace bd::ui {

namespace {
constexpr double kMinZoom = 0.02;
constexpr double kMaxZoom = 32.0;
constexpr double kZoomStep = 1.25;
}  // namespace

MaskCanvas::MaskCanvas(QWidget* parent)
    : QWidget(parent),
      m_undoStack(new QUndoStack(this)),
      m_basePyramid(new ImagePyramid(this)),
      m_displayPyramid(new ImagePyramid(this)) {
  connect(m_basePyramid, &ImagePyramid::levelsReady, this, qOverload<>(&QWidget::update));
  connect(m_displayPyramid, &ImagePyramid::levelsReady, this, qOverload<>(&QWidget::update));
  setMouseTracking(true);
  setFocusPolicy(Qt::StrongFocus);
  setAttribute(Qt::WA_OpaquePaintEvent);
  setMinimumSize(200, 150);
}

MaskCanvas::~MaskCanvas() = default;

void MaskCanvas::setUndoStack(QUndoStack* stack) {
  m_undoStack = stack ? stack : new QUndoStack(this);
}

void MaskCanvas::setImage(const QImage& image) {
  m_image = image;
  m_mask = image.isNull() ? QImage() : blankMask(image.size());
  m_basePyramid->setImage(m_image);
  setDisplayImage(QImage());
  m_stroking = false;
  if (m_undoStack) m_undoStack->clear();
  fitToWindow();
  emit imageChanged();
  emit maskChanged();
}

void MaskCanvas::replaceImage(const QImage& image, const QString& undoText) {
  if (image.isNull() || image.size() != m_image.size()) return;
  m_undoStack->push(new ImageSnapshotCommand(this, undoText, m_image, image));
}

void MaskCanvas::writeImage(const QImage& image) {
  m_image = image;
  m_basePyramid->setImage(m_image);
  setDisplayImage(QImage());
  emit imageChanged();
}

void MaskCanvas::setMask(const QImage& mask, const QString& undoText) {
  if (m_image.isNull() || mask.isNull()) return;
  QImage m = mask.convertToFormat(QImage::Format_Grayscale8);
  if (m.size() != m_image.size())
    m = m.scaled(m_image.size(), Qt::IgnoreAspectRatio, Qt::FastTransformation);
  pushMaskSnapshot(undoText, m_mask, m);
}

bool MaskCanvas::loadMask(const QString& path, QString* error) {
  QImageReader reader(path);
  reader.setAutoTransform(true);
  QImage m = reader.read();
  if (m.isNull()) {
    if (error) *error = tr("Cannot read the mask %1: %2").arg(path, reader.errorString());
    return false;
  }
  if (m_image.isNull()) {
    if (error) *error = tr("Open an image before loading a mask.");
    return false;
  }
  // A transparent PNG mask carries the region in its alpha channel.
  if (m.hasAlphaChannel() && m.convertToFormat(QImage::Format_Grayscale8).allGray()) {
    const QImage rgba = m.convertToFormat(QImage::Format_RGBA8888);
    QImage alpha(rgba.size(), QImage::Format_Grayscale8);
    bool opaque = true;
    for (int y = 0; y < rgba.height(); ++y) {
      const uchar* s = rgba.constScanLine(y);
      uchar* d = alpha.scanLine(y);
      for (int x = 0; x < rgba.width(); ++x) {
        d[x] = s[4 * x + 3];
        opaque = opaque && s[4 * x + 3] == 255;
      }
    }
    if (!opaque) m = alpha;
  }
  setMask(m, tr("Load mask"));
  return true;
}

bool MaskCanvas::saveMask(const QString& path, QString* error) const {
  QSaveFile file(path);
  if (m_mask.isNull() || !file.open(QIODevice::WriteOnly)) {
    if (error) *error = tr("Cannot write %1: %2").arg(path, file.errorString());
    return false;
  }
  QImageWriter writer(&file, "png");
  if (!writer.write(m_mask) || !file.commit()) {
    if (error) *error = tr("Cannot write %1: %2").arg(path, writer.errorString());
    return false;
  }
  return true;
}

void MaskCanvas::setDisplayImage(const QImage& image) {
  m_display = (image.isNull() || image.size() == m_image.size()) ? image : QImage();
  m_displayAt = QPoint();
  m_displayPyramid->setImage(m_display);
  update();
}

void MaskCanvas::setDisplayPatch(const QImage& patch, QPoint at) {
  if (patch.isNull() || !m_image.rect().contains(QRect(at, patch.size()))) return;
  // Only the union of the old and new patch changes on screen.
  const QRect before = m_display.isNull() ? QRect() : QRect(m_displayAt, m_display.size());
  const bool wasFull = !m_display.isNull() && m_display.size() == m_image.size();
  m_display = patch;
  m_displayAt = at;
  m_displayPyramid->setImage(patch, /*buildLevels=*/false);
  if (wasFull) update();
  else updateImageRect(before.united(QRect(at, patch.size())));
}

QImage MaskCanvas::shownImage() const {
  if (m_display.isNull() || m_compare) return m_image;
  if (m_display.size() == m_image.size()) return m_display;
  QImage composed = m_image.convertToFormat(m_image.hasAlphaChannel()
                                                ? QImage::Format_ARGB32_Premultiplied
                                                : QImage::Format_RGB32);
  QPainter(&composed).drawImage(m_displayAt, m_display);
  return composed;
}

void MaskCanvas::setCompareOriginal(bool on) {
  if (on == m_compare) return;
  m_compare = on;
  update();
  emit compareChanged(on);
}

void MaskCanvas::setTool(Tool tool) {
  if (tool == m_tool) return;
  m_tool = tool;
  update();
  emit toolChanged(tool);
}

void MaskCanvas::setBrushRadius(double radius) {
  radius = std::clamp(radius, 1.0, 1000.0);
  if (radius == m_brush.radius) return;
  m_brush.radius = radius;
  update();
  emit brushRadiusChanged(radius);
}

void MaskCanvas::setBrushHardness(double hardness) {
  m_brush.hardness = std::clamp(hardness, 0.0, 1.0);
}

void MaskCanvas::setOverlayOpacity(double opacity) {
  m_overlayOpacity = std::clamp(opacity, 0.0, 1.0);
  update();
}

void MaskCanvas::setOverlayColor(const QColor& color) {
  m_overlayColor = color;
  update();
}

void MaskCanvas::setMaskVisible(bool visible) {
  m_maskVisible = visible;
  update();
}

void MaskCanvas::pushMaskSnapshot(const QString& text, const QImage& before, const QImage& after) {
  m_undoStack->push(new MaskSnapshotCommand(this, text, before, after));
}

void MaskCanvas::invertMask() {
  if (m_mask.isNull()) return;
  QImage after = m_mask.copy();
  bd::ui::invertMask(after);
  pushMaskSnapshot(tr("Invert mask"), m_mask, after);
}

void MaskCanvas::clearMask() {
  if (m_mask.isNull()) return;
  pushMaskSnapshot(tr("Clear mask"), m_mask, blankMask(m_mask.size()));
}

void MaskCanvas::growMask(int px) {
  if (m_mask.isNull()) return;
  QImage after = m_mask.copy();
  bd::ui::growMask(after, px);
  pushMaskSnapshot(px >= 0 ? tr("Grow mask") : tr("Shrink mask"), m_mask, after);
}

void MaskCanvas::fillRect(const QRect& imageRect, bool erase) {
  if (m_mask.isNull()) return;
  QImage after = m_mask.copy();
  fillMaskRect(after, imageRect, erase);
  pushMaskSnapshot(erase ? tr("Erase rectangle") : tr("Fill rectangle"), m_mask, after);
}

void MaskCanvas::fillPolygon(const QPolygonF& imagePolygon, bool erase) {
  if (m_mask.isNull()) return;
  QImage after = m_mask.copy();
  // A lasso with no area (a click, a back-and-forth line) changes nothing: no undo step.
  if (fillMaskPolygon(after, imagePolygon, erase).isEmpty() || after == m_mask) return;
  pushMaskSnapshot(erase ? tr("Erase lasso") : tr("Fill lasso"), m_mask, after);
}

void MaskCanvas::writeMaskRect(const QRect& rect, const QImage& patch) {
  for (int y = 0; y < rect.height(); ++y)
    std::copy_n(patch.constScanLine(y), rect.width(),
                m_mask.scanLine(rect.top() + y) + rect.left());
  updateImageRect(rect);
  emit maskChanged();
}

void MaskCanvas::writeMask(const QImage& mask) {
  m_mask = mask;
  update();
  emit maskChanged();
}

// --- strokes -----------------------------------------------------------------------

void MaskCanvas::beginStroke(QPointF p, bool erase) {
  if (m_mask.isNull()) return;
  if (m_stroking) endStroke();
  m_stroking = true;
  m_strokeErase = erase;
  ++m_strokeSerial;
  m_strokeStart = m_mask;  // shared until the first write detaches m_mask
  m_strokeLast = p;
  BrushShape shape = m_brush;
  shape.erase = erase;
  const QRect changed = paintSegment(m_mask, p, p, shape);
  m_undoStack->push(new BrushStrokeCommand(this, m_strokeSerial, m_strokeStart, changed, erase));
  updateImageRect(changed);
}

void MaskCanvas::continueStroke(QPointF p) {
  if (!m_stroking) return;
  BrushShape shape = m_brush;
  shape.erase = m_strokeErase;
  const QRect changed = paintSegment(m_mask, m_strokeLast, p, shape);
  m_strokeLast = p;
  if (changed.isEmpty()) return;
  m_undoStack->push(
      new BrushStrokeCommand(this, m_strokeSerial, m_strokeStart, changed, m_strokeErase));
  updateImageRect(changed);
}

void MaskCanvas::endStroke() {
  if (!m_stroking) return;
  m_stroking = false;
  m_strokeStart = QImage();
  const int top = m_undoStack->index() - 1;
  if (top >= 0) {
    auto* cmd = const_cast<QUndoCommand*>(m_undoStack->command(top));
    if (cmd->id() == UndoBrushStroke) {
      auto* stroke = static_cast<BrushStrokeCommand*>(cmd);
      if (stroke->stroke() == m_strokeSerial) stroke->finish();
    }
  }
  emit maskChanged();
}

void MaskCanvas::paintStroke(const QVector<QPointF>& points, bool erase) {
  if (points.isEmpty()) return;
  beginStroke(points.front(), erase);
  for (int i = 1; i < points.size(); ++i) continueStroke(points[i]);
  endStroke();
}

// --- view ---------------------------------------------------------------------------

QPointF MaskCanvas::widgetToImage(QPointF w) const { return (w - m_offset) / m_zoom; }
QPointF MaskCanvas::imageToWidget(QPointF i) const { return i * m_zoom + m_offset; }

QRectF MaskCanvas::imageTargetRect() const {
  return QRectF(m_offset, QSizeF(m_image.width() * m_zoom, m_image.height() * m_zoom));
}

void MaskCanvas::setZoom(double zoom, QPointF anchor) {
  zoom = std::clamp(zoom, kMinZoom, kMaxZoom);
  const QPointF imagePoint = widgetToImage(anchor);
  m_zoom = zoom;
  m_offset = anchor - imagePoint * m_zoom;
  m_fit = false;
  update();
  emit zoomChanged(m_zoom);
}

void MaskCanvas::zoomIn() { setZoom(m_zoom * kZoomStep); }
void MaskCanvas::zoomOut() { setZoom(m_zoom / kZoomStep); }

void MaskCanvas::fitToWindow() {
  m_fit = true;
  if (m_image.isNull() || width() <= 0 || height() <= 0) {
    update();
    return;
  }
  const double margin = 8.0;
  const double z = std::min((width() - 2 * margin) / m_image.width(),
                            (height() - 2 * margin) / m_image.height());
  m_zoom = std::clamp(z, kMinZoom, kMaxZoom);
  m_offset = QPointF((width() - m_image.width() * m_zoom) / 2.0,
                     (height() - m_image.height() * m_zoom) / 2.0);
  update();
  emit zoomChanged(m_zoom);
}

void MaskCanvas::actualSize() {
  setZoom(1.0);
  if (!m_image.isNull() && m_image.width() <= width() && m_image.height() <= height()) {
    m_offset = QPointF((width() - m_image.width()) / 2.0, (height() - m_image.height()) / 2.0);
    update();
  }
}

void MaskCanvas::panBy(QPointF delta) {
  m_offset += delta;
  m_fit = false;
  update();
}

void MaskCanvas::updateImageRect(const QRect& r) {
  if (r.isEmpty()) return;
  const QRectF w(imageToWidget(r.topLeft()), imageToWidget(QPointF(r.right() + 1, r.bottom() + 1)));
  update(w.toAlignedRect().adjusted(-2, -2, 2, 2));
}

QRect MaskCanvas::lassoWidgetRect() const {
  const QRectF r(imageToWidget(m_lasso.boundingRect().topLeft()),
                 imageToWidget(m_lasso.boundingRect().bottomRight()));
  return r.toAlignedRect().adjusted(-2, -2, 2, 2);
}

QRect MaskCanvas::cursorRect(QPointF w) const {
  const double r = m_brush.radius * m_zoom + 2;
  return QRectF(w.x() - r, w.y() - r, 2 * r, 2 * r).toAlignedRect().adjusted(-1, -1, 1, 1);
}

// --- painting -----------------------------------------------------------------------

void MaskCanvas::paintEvent(QPaintEvent* event) {
  QPainter p(this);
  const QRect area = event->rect();
  p.fillRect(area, palette().color(QPalette::Dark).darker(180));
  if (m_image.isNull()) {
    p.setPen(palette().color(QPalette::BrightText));
    p.drawText(rect(), Qt::AlignCenter,
               tr("Open an image (Ctrl+O), drop one here or paste it (Ctrl+V).\n"
                  "Then paint where it should change and describe the change."));
    return;
  }
  const QRectF target = imageTargetRect();
  // The repainted part, in image pixels: drawing costs follow it, not the image size.
  const QRectF visible =
      QRectF(widgetToImage(area.topLeft()), widgetToImage(area.bottomRight() + QPoint(1, 1)))
          .intersected(QRectF(m_image.rect()));
  auto drawPart = [&](const ImagePyramid& pyramid, QPoint at) {
    const QRectF part = visible.intersected(QRectF(at, pyramid.image().size()));
    if (!part.isEmpty())
      pyramid.draw(p, QRectF(imageToWidget(part.topLeft()), imageToWidget(part.bottomRight())),
                   part.translated(-at));
  };
  const bool showDisplay = !m_display.isNull() && !m_compare;
  if (!showDisplay || m_display.size() != m_image.size()) drawPart(*m_basePyramid, QPoint());
  if (showDisplay) drawPart(*m_displayPyramid, m_displayAt);

  if (m_maskVisible && !m_compare && m_display.isNull() && m_overlayOpacity > 0 &&
      !m_mask.isNull()) {
    // The mask's bytes viewed as an alpha channel (no copy), scaled into a buffer the
    // size of the repainted area, then tinted.
    const QRect dst = target.toAlignedRect().intersected(area);
    if (!dst.isEmpty()) {
      const QImage alpha(m_mask.constBits(), m_mask.width(), m_mask.height(), m_mask.bytesPerLine(),
                         QImage::Format_Alpha8);
      QImage tint(dst.size(), QImage::Format_ARGB32_Premultiplied);
      tint.fill(Qt::transparent);
      {
        QPainter tp(&tint);
        tp.translate(-dst.topLeft());
        tp.setRenderHint(QPainter::SmoothPixmapTransform, m_zoom < 1.0);
        const QRectF srcF =
            QRectF(widgetToImage(dst.topLeft()), widgetToImage(dst.bottomRight() + QPoint(1, 1)))
                .intersected(QRectF(m_mask.rect()));
        const QRect src = srcF.toAlignedRect().intersected(m_mask.rect());
        tp.drawImage(QRectF(imageToWidget(src.topLeft()),
                            QSizeF(src.width() * m_zoom, src.height() * m_zoom)),
                     alpha, QRectF(src));
        tp.setCompositionMode(QPainter::CompositionMode_SourceIn);
        tp.fillRect(QRect(dst.topLeft(), dst.size()), m_overlayColor);
      }
      p.setOpacity(m_overlayOpacity);
      p.drawImage(dst.topLeft(), tint);
      p.setOpacity(1.0);
    }
  }

  if (m_rubberBand) {
    p.setPen(QPen(m_rubberErase ? Qt::white : m_overlayColor, 1, Qt::DashLine));
    p.drawRect(QRectF(imageToWidget(m_rubberStart), imageToWidget(m_rubberEnd)).normalized());
  }
  if (m_lassoing && m_lasso.size() >= 2) {
    QPolygonF outline;
    for (const QPointF& q : m_lasso) outline << imageToWidget(q);
    p.setPen(QPen(m_lassoErase ? Qt::white : m_overlayColor, 1, Qt::DashLine));
    p.drawPolygon(outline);  // drawn closed: the closing edge shows what release fills
  }
  const bool brushTool = m_tool == Tool::Brush || m_tool == Tool::Eraser;
  if (m_cursor.x() >= 0 && brushTool && !m_spaceHeld && !m_panning) {
    p.setRenderHint(QPainter::Antialiasing);
    const double r = m_brush.radius * m_zoom;
    p.setPen(QPen(Qt::black, 1.5));
    p.drawEllipse(m_cursor, r, r);
    p.setPen(
        QPen(m_tool == Tool::Eraser ? Qt::white : QColor(255, 255, 255, 220), 1, Qt::DashLine));
    p.drawEllipse(m_cursor, r, r);
  }
  if (m_compare) {
    p.setPen(Qt::white);
    p.drawText(rect().adjusted(8, 8, -8, -8), Qt::AlignTop | Qt::AlignLeft, tr("Original"));
  }
}

void MaskCanvas::resizeEvent(QResizeEvent*) {
  if (m_fit) fitToWindow();
}

// --- input --------------------------------------------------------------------------

void MaskCanvas::mousePressEvent(QMouseEvent* e) {
  const QPointF pos = e->position();
  if (e->button() == Qt::MiddleButton || (e->button() == Qt::LeftButton && m_spaceHeld)) {
    m_panning = true;
    m_panLast = pos;
    setCursor(Qt::ClosedHandCursor);
    return;
  }
  if (m_image.isNull() || !m_display.isNull()) return;  // no painting over a result
  if (e->button() != Qt::LeftButton && e->button() != Qt::RightButton) return;
  const bool erase = m_tool == Tool::Eraser || e->button() == Qt::RightButton ||
                     (e->modifiers() & Qt::AltModifier);
  if (m_tool == Tool::Rectangle) {
    m_rubberBand = true;
    m_rubberErase = erase;
    m_rubberStart = m_rubberEnd = widgetToImage(pos);
    update();
    return;
  }
  if (m_tool == Tool::Lasso) {
    m_lassoing = true;
    m_lassoErase = erase;
    m_lasso = QPolygonF{widgetToImage(pos)};
    return;
  }
  beginStroke(widgetToImage(pos), erase);
}

void MaskCanvas::mouseMoveEvent(QMouseEvent* e) {
  const QPointF pos = e->position();
  if (m_panning) {
    panBy(pos - m_panLast);
    m_panLast = pos;
    return;
  }
  if (m_cursor.x() >= 0) update(cursorRect(m_cursor));
  m_cursor = pos;
  update(cursorRect(m_cursor));
  if (m_rubberBand) {
    m_rubberEnd = widgetToImage(pos);
    update();
    return;
  }
  if (m_lassoing) {
    // One vertex per screen pixel moved is as fine as the hand is; more only slows the fill.
    if (QLineF(imageToWidget(m_lasso.back()), pos).length() < 1.0) return;
    const QRect before = lassoWidgetRect();
    m_lasso << widgetToImage(pos);
    update(before.united(lassoWidgetRect()));
    return;
  }
  if (m_stroking) continueStroke(widgetToImage(pos));
}

void MaskCanvas::mouseReleaseEvent(QMouseEvent* e) {
  if (m_panning) {
    m_panning = false;
    setCursor(m_spaceHeld ? Qt::OpenHandCursor : Qt::ArrowCursor);
    return;
  }
  if (m_rubberBand) {
    m_rubberBand = false;
    const QRectF r = QRectF(m_rubberStart, m_rubberEnd).normalized();
    if (r.width() >= 1 && r.height() >= 1) fillRect(r.toAlignedRect(), m_rubberErase);
    update();
    return;
  }
  if (m_lassoing) {
    m_lassoing = false;
    m_lasso << widgetToImage(e->position());
    update(lassoWidgetRect());
    fillPolygon(m_lasso, m_lassoErase);
    m_lasso.clear();
    return;
  }
  endStroke();
}

void MaskCanvas::wheelEvent(QWheelEvent* e) {
  if (m_image.isNull()) return;
  const double steps = e->angleDelta().y() / 120.0;
  if (steps == 0) return;
  setZoom(m_zoom * std::pow(kZoomStep, steps), e->position());
}

void MaskCanvas::keyPressEvent(QKeyEvent* e) {
  switch (e->key()) {
    case Qt::Key_Space:
      if (!e->isAutoRepeat()) {
        m_spaceHeld = true;
        setCursor(Qt::OpenHandCursor);
        update();
      }
      return;
    case Qt::Key_BracketLeft:
      setBrushRadius(m_brush.radius / 1.2);
      return;
    case Qt::Key_BracketRight:
      setBrushRadius(m_brush.radius * 1.2);
      return;
    case Qt::Key_Backslash:
      if (!e->isAutoRepeat()) setCompareOriginal(true);
      return;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
      if (e->modifiers() & Qt::ControlModifier) return zoomIn();
      break;
    case Qt::Key_Minus:
      if (e->modifiers() & Qt::ControlModifier) return zoomOut();
      break;
    default:
      break;
  }
  QWidget::keyPressEvent(e);
}

void MaskCanvas::keyReleaseEvent(QKeyEvent* e) {
  if (e->isAutoRepeat()) return QWidget::keyReleaseEvent(e);
  if (e->key() == Qt::Key_Space) {
    m_spaceHeld = false;
    if (!m_panning) setCursor(Qt::ArrowCursor);
    update();
    return;
  }
  if (e->key() == Qt::Key_Backslash) {
    setCompareOriginal(false);
    return;
  }
  QWidget::keyReleaseEvent(e);
}

void MaskCanvas::leaveEvent(QEvent*) {
  if (m_cursor.x() >= 0) update(cursorRect(m_cursor));
  m_cursor = QPointF(-1, -1);
}

void MaskCanvas::focusOutEvent(QFocusEvent*) {
  m_spaceHeld = false;
  setCompareOriginal(false);
}

}  // namespace bd::ui
