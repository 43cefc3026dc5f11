#include "mask_canvas.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

#include "canvas_tools.h"
#include "document.h"
#include "image_pyramid.h"

namespace bd::ui {

namespace {
constexpr double kMinZoom = 0.02;
constexpr double kMaxZoom = 32.0;
constexpr double kZoomStep = 1.25;
}  // namespace

MaskCanvas::MaskCanvas(Document* document, QWidget* parent)
    : QWidget(parent),
      m_document(document),
      m_basePyramid(new ImagePyramid(this)),
      m_displayPyramid(new ImagePyramid(this)),
      m_brushTool(std::make_unique<BrushTool>(this)),
      m_rectangleTool(std::make_unique<RectangleTool>(this)),
      m_lassoTool(std::make_unique<LassoTool>(this)) {
  Q_ASSERT(document);
  connect(m_basePyramid, &ImagePyramid::levelsReady, this, qOverload<>(&QWidget::update));
  connect(m_displayPyramid, &ImagePyramid::levelsReady, this, qOverload<>(&QWidget::update));
  connect(document, &Document::documentReplaced, this, &MaskCanvas::onDocumentReplaced);
  connect(document, &Document::imageChanged, this, &MaskCanvas::onImageChanged);
  connect(document, &Document::maskChanged, this, [this](const QRect& r) {
    if (r.isNull())
      update();
    else
      updateImageRect(r);
  });
  connect(document, &Document::scribbleChanged, this, [this](const QRect& r) {
    if (r.isNull())
      update();
    else
      updateImageRect(r);
  });
  connect(document, &Document::shownCandidateChanged, this, &MaskCanvas::onShownCandidateChanged);
  connect(document, &Document::currentJobChanged, this, &MaskCanvas::onShownCandidateChanged);
  connect(document, &Document::previewChanged, this, &MaskCanvas::onPreviewChanged);
  setMouseTracking(true);
  setFocusPolicy(Qt::StrongFocus);
  setAttribute(Qt::WA_OpaquePaintEvent);
  setMinimumSize(200, 150);
  onImageChanged();
  onShownCandidateChanged();
}

MaskCanvas::~MaskCanvas() = default;

// --- following the document ---------------------------------------------------------

void MaskCanvas::onDocumentReplaced() {
  for (CanvasTool* tool : {toolFor(Tool::Brush), toolFor(Tool::Rectangle), toolFor(Tool::Lasso)})
    tool->cancel();
  m_dragTool = nullptr;
  fitToWindow();
}

void MaskCanvas::onImageChanged() {
  const QImage image = m_document->image();
  if (image.isNull() || image.cacheKey() != m_basePyramid->image().cacheKey())
    m_basePyramid->setImage(image);
  update();
}

void MaskCanvas::onShownCandidateChanged() {
  const QImage display = displayImage();
  const bool full = m_document->shownCandidate() >= 0;
  if (display.cacheKey() != m_displayPyramid->image().cacheKey() || display.isNull())
    m_displayPyramid->setImage(display, /*buildLevels=*/full);
  update();
}

void MaskCanvas::onPreviewChanged(const QRect& imageRect) {
  if (m_document->shownCandidate() >= 0) return;  // the preview is behind the candidate
  // Converting and drawing just the changed part is what keeps previews of a 4096²
  // photo cheap.
  m_displayPyramid->setImage(m_document->preview(), /*buildLevels=*/false);
  updateImageRect(imageRect);
}

QImage MaskCanvas::displayImage() const {
  const int row = m_document->shownCandidate();
  if (row >= 0) {
    const QImage candidate = m_document->candidateImage(m_document->currentJob(), row);
    return candidate.size() == m_document->size() ? candidate : QImage();
  }
  return m_document->preview();
}

QPoint MaskCanvas::displayOffset() const {
  return m_document->shownCandidate() >= 0 ? QPoint() : m_document->previewOffset();
}

QImage MaskCanvas::shownImage() const {
  const QImage base = m_document->image();
  const QImage display = displayImage();
  if (display.isNull() || m_compare) return base;
  if (display.size() == base.size()) return display;
  QImage composed = base.convertToFormat(
      base.hasAlphaChannel() ? QImage::Format_ARGB32_Premultiplied : QImage::Format_RGB32);
  QPainter(&composed).drawImage(displayOffset(), display);
  return composed;
}

void MaskCanvas::setCompareOriginal(bool on) {
  if (on == m_compare) return;
  m_compare = on;
  update();
  emit compareChanged(on);
}

// --- tools --------------------------------------------------------------------------

CanvasTool* MaskCanvas::toolFor(Tool tool) const {
  switch (tool) {
    case Tool::Rectangle:
      return m_rectangleTool.get();
    case Tool::Lasso:
      return m_lassoTool.get();
    case Tool::Brush:
    case Tool::Eraser:
      break;
  }
  return m_brushTool.get();
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

void MaskCanvas::beginStroke(QPointF p, bool erase) { m_brushTool->press(p, erase); }
void MaskCanvas::continueStroke(QPointF p) { m_brushTool->move(p); }
void MaskCanvas::endStroke() { m_brushTool->release(QPointF()); }

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
  const QSize size = m_document->size();
  return QRectF(m_offset, QSizeF(size.width() * m_zoom, size.height() * m_zoom));
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
  const QSize size = m_document->size();
  if (!m_document->hasImage() || width() <= 0 || height() <= 0) {
    update();
    return;
  }
  const double margin = 8.0;
  const double z =
      std::min((width() - 2 * margin) / size.width(), (height() - 2 * margin) / size.height());
  m_zoom = std::clamp(z, kMinZoom, kMaxZoom);
  m_offset =
      QPointF((width() - size.width() * m_zoom) / 2.0, (height() - size.height() * m_zoom) / 2.0);
  update();
  emit zoomChanged(m_zoom);
}

void MaskCanvas::actualSize() {
  setZoom(1.0);
  const QSize size = m_document->size();
  if (m_document->hasImage() && size.width() <= width() && size.height() <= height()) {
    m_offset = QPointF((width() - size.width()) / 2.0, (height() - size.height()) / 2.0);
    update();
  }
}

void MaskCanvas::panBy(QPointF delta) {
  m_offset += delta;
  m_fit = false;
  update();
}

void MaskCanvas::updateImageRect(const QRectF& r) {
  if (r.isNull()) return;
  const QRectF w(imageToWidget(r.topLeft()), imageToWidget(r.bottomRight()));
  update(w.normalized().toAlignedRect().adjusted(-2, -2, 2, 2));
}

QRect MaskCanvas::cursorRect(QPointF w) const {
  const double r = m_brush.radius * m_zoom + 2;
  return QRectF(w.x() - r, w.y() - r, 2 * r, 2 * r).toAlignedRect().adjusted(-1, -1, 1, 1);
}

// --- painting -----------------------------------------------------------------------

namespace {

// The mask's bytes viewed as an alpha channel (no copy), scaled into a buffer the size
// of the repainted area `dst` (widget pixels), then tinted and drawn.
void drawMaskOverlay(QPainter& p, const QImage& mask, const QRect& dst, double zoom, QPointF offset,
                     const QColor& colour, double opacity) {
  const QImage alpha(mask.constBits(), mask.width(), mask.height(), mask.bytesPerLine(),
                     QImage::Format_Alpha8);
  QImage tint(dst.size(), QImage::Format_ARGB32_Premultiplied);
  tint.fill(Qt::transparent);
  {
    QPainter tp(&tint);
    tp.translate(-dst.topLeft());
    tp.setRenderHint(QPainter::SmoothPixmapTransform, zoom < 1.0);
    const QRectF srcF =
        QRectF((dst.topLeft() - offset) / zoom, (dst.bottomRight() + QPointF(1, 1) - offset) / zoom)
            .intersected(QRectF(mask.rect()));
    const QRect src = srcF.toAlignedRect().intersected(mask.rect());
    tp.drawImage(
        QRectF(src.topLeft() * zoom + offset, QSizeF(src.width() * zoom, src.height() * zoom)),
        alpha, QRectF(src));
    tp.setCompositionMode(QPainter::CompositionMode_SourceIn);
    tp.fillRect(QRect(dst.topLeft(), dst.size()), colour);
  }
  p.setOpacity(opacity);
  p.drawImage(dst.topLeft(), tint);
  p.setOpacity(1.0);
}

}  // namespace

void MaskCanvas::paintEvent(QPaintEvent* event) {
  QPainter p(this);
  const QRect area = event->rect();
  p.fillRect(area, palette().color(QPalette::Dark).darker(180));
  if (!m_document->hasImage()) {
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
          .intersected(QRectF(QPointF(), QSizeF(m_document->size())));
  auto drawPart = [&](const ImagePyramid& pyramid, QPoint at) {
    const QRectF part = visible.intersected(QRectF(at, pyramid.image().size()));
    if (!part.isEmpty())
      pyramid.draw(p, QRectF(imageToWidget(part.topLeft()), imageToWidget(part.bottomRight())),
                   part.translated(-at));
  };
  const bool hasDisplay = !m_displayPyramid->isNull();
  const bool showDisplay = hasDisplay && !m_compare;
  const bool fullDisplay = showDisplay && m_displayPyramid->image().size() == m_document->size();
  if (!fullDisplay) drawPart(*m_basePyramid, QPoint());
  if (showDisplay) drawPart(*m_displayPyramid, displayOffset());

  // The scribble layer belongs to the document being edited, not to a result.
  if (!hasDisplay && !m_compare && !m_document->isScribbleEmpty() && !visible.isEmpty()) {
    p.setRenderHint(QPainter::SmoothPixmapTransform, m_zoom < 1.0);
    p.drawImage(QRectF(imageToWidget(visible.topLeft()), imageToWidget(visible.bottomRight())),
                m_document->scribble(), visible);
  }

  if (m_maskVisible && !m_compare && !hasDisplay && m_overlayOpacity > 0 &&
      !m_document->mask().isNull()) {
    const QRect dst = target.toAlignedRect().intersected(area);
    if (!dst.isEmpty())
      drawMaskOverlay(p, m_document->mask(), dst, m_zoom, m_offset, m_overlayColor,
                      m_overlayOpacity);
  }

  if (m_dragTool) m_dragTool->paint(p);
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
  if (!m_document->hasImage() || !displayImage().isNull()) return;  // no painting over a result
  if (e->button() != Qt::LeftButton && e->button() != Qt::RightButton) return;
  const bool erase = m_tool == Tool::Eraser || e->button() == Qt::RightButton ||
                     (e->modifiers() & Qt::AltModifier);
  m_dragTool = toolFor(m_tool);
  m_dragTool->press(widgetToImage(pos), erase);
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
  if (m_dragTool) m_dragTool->move(widgetToImage(pos));
}

void MaskCanvas::mouseReleaseEvent(QMouseEvent* e) {
  if (m_panning) {
    m_panning = false;
    setCursor(m_spaceHeld ? Qt::OpenHandCursor : Qt::ArrowCursor);
    return;
  }
  if (!m_dragTool) return;
  CanvasTool* tool = m_dragTool;
  m_dragTool = nullptr;
  tool->release(widgetToImage(e->position()));
}

void MaskCanvas::wheelEvent(QWheelEvent* e) {
  if (!m_document->hasImage()) return;
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
