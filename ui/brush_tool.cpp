#include <QUndoStack>

#include "canvas_tools.h"
#include "document.h"
#include "layer_commands.h"
#include "mask_canvas.h"
#include "undo_ids.h"

namespace bd::ui {

void BrushTool::press(QPointF p, bool erase) {
  Document* doc = m_canvas->document();
  if (doc->mask().isNull()) return;
  if (m_stroking) release(m_last);
  m_stroking = true;
  m_erase = erase;
  ++m_strokeSerial;
  m_strokeStart = doc->mask();  // shared until the first write detaches the document's
  m_last = p;
  BrushShape shape = m_canvas->brushShape();
  shape.erase = erase;
  const QRect changed = doc->paintMaskSegment(p, p, shape);
  doc->undoStack()->push(
      new BrushStrokeCommand(doc, Layer::Mask, m_strokeSerial, m_strokeStart, changed, erase));
}

void BrushTool::move(QPointF p) {
  if (!m_stroking) return;
  Document* doc = m_canvas->document();
  BrushShape shape = m_canvas->brushShape();
  shape.erase = m_erase;
  const QRect changed = doc->paintMaskSegment(m_last, p, shape);
  m_last = p;
  if (changed.isEmpty()) return;
  doc->undoStack()->push(
      new BrushStrokeCommand(doc, Layer::Mask, m_strokeSerial, m_strokeStart, changed, m_erase));
}

void BrushTool::release(QPointF) {
  if (!m_stroking) return;
  m_stroking = false;
  m_strokeStart = QImage();
  QUndoStack* stack = m_canvas->document()->undoStack();
  const int top = stack->index() - 1;
  if (top < 0) return;
  auto* cmd = const_cast<QUndoCommand*>(stack->command(top));
  if (cmd->id() != UndoBrushStroke) return;
  auto* stroke = static_cast<BrushStrokeCommand*>(cmd);
  if (stroke->stroke() == m_strokeSerial) stroke->finish();
}

void BrushTool::cancel() {
  m_stroking = false;
  m_strokeStart = QImage();
}

}  // namespace bd::ui
