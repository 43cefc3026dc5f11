// The rectangle and lasso tools: an outline follows the drag, release fills it.
#include <QLineF>
#include <QPainter>

#include "canvas_tools.h"
#include "document.h"
#include "mask_canvas.h"

namespace bd::ui {

namespace {

QPen outlinePen(const MaskCanvas* canvas, bool erase) {
  return QPen(erase ? QColor(Qt::white) : canvas->overlayColor(), 1, Qt::DashLine);
}

}  // namespace

void RectangleTool::press(QPointF p, bool erase) {
  m_active = true;
  m_erase = erase;
  m_start = m_end = p;
  m_canvas->update();
}

void RectangleTool::move(QPointF p) {
  if (!m_active) return;
  m_end = p;
  m_canvas->update();
}

void RectangleTool::release(QPointF) {
  if (!m_active) return;
  m_active = false;
  const QRectF r = QRectF(m_start, m_end).normalized();
  if (r.width() >= 1 && r.height() >= 1) m_canvas->document()->fillRect(r.toAlignedRect(), m_erase);
  m_canvas->update();
}

void RectangleTool::cancel() { m_active = false; }

void RectangleTool::paint(QPainter& p) const {
  if (!m_active) return;
  p.setPen(outlinePen(m_canvas, m_erase));
  p.drawRect(QRectF(m_canvas->imageToWidget(m_start), m_canvas->imageToWidget(m_end)).normalized());
}

void LassoTool::press(QPointF p, bool erase) {
  m_active = true;
  m_erase = erase;
  m_outline = QPolygonF{p};
}

void LassoTool::move(QPointF p) {
  if (!m_active) return;
  // One vertex per screen pixel moved is as fine as the hand is; more only slows the fill.
  if (QLineF(m_canvas->imageToWidget(m_outline.back()), m_canvas->imageToWidget(p)).length() < 1.0)
    return;
  const QRectF before = m_outline.boundingRect();
  m_outline << p;
  m_canvas->updateImageRect(before.united(m_outline.boundingRect()));
}

void LassoTool::release(QPointF p) {
  if (!m_active) return;
  m_active = false;
  m_outline << p;
  m_canvas->updateImageRect(m_outline.boundingRect());
  m_canvas->document()->fillPolygon(m_outline, m_erase);
  m_outline.clear();
}

void LassoTool::cancel() {
  m_active = false;
  m_outline.clear();
}

void LassoTool::paint(QPainter& p) const {
  if (!m_active || m_outline.size() < 2) return;
  QPolygonF outline;
  for (const QPointF& q : m_outline) outline << m_canvas->imageToWidget(q);
  p.setPen(outlinePen(m_canvas, m_erase));
  p.drawPolygon(outline);  // drawn closed: the closing edge shows what release fills
}

}  // namespace bd::ui
