#include "layer_commands.h"

#include "undo_ids.h"

namespace bd::ui {

BrushStrokeCommand::BrushStrokeCommand(Document* document, Layer layer, int stroke,
                                       const QImage& strokeStart, const QRect& rect, bool erase)
    : QUndoCommand(erase ? QObject::tr("Erase mask") : QObject::tr("Paint mask")),
      m_document(document),
      m_layer(layer),
      m_stroke(stroke),
      m_strokeStart(strokeStart),
      m_rect(rect) {
  if (layer == Layer::Scribble)
    setText(erase ? QObject::tr("Erase scribble") : QObject::tr("Scribble"));
}

int BrushStrokeCommand::id() const { return UndoBrushStroke; }

bool BrushStrokeCommand::mergeWith(const QUndoCommand* other) {
  const auto* o = static_cast<const BrushStrokeCommand*>(other);
  if (o->m_stroke != m_stroke || o->m_layer != m_layer || !m_before.isNull()) return false;
  m_rect |= o->m_rect;
  return true;
}

void BrushStrokeCommand::finish() {
  if (m_before.isNull() && !m_rect.isEmpty()) m_before = m_strokeStart.copy(m_rect);
  m_strokeStart = QImage();
}

void BrushStrokeCommand::undo() {
  finish();
  if (m_rect.isEmpty()) return;
  if (m_after.isNull()) m_after = m_document->layer(m_layer).copy(m_rect);
  m_document->writeLayerRect(m_layer, m_rect, m_before);
}

void BrushStrokeCommand::redo() {
  if (m_firstRedo) {
    m_firstRedo = false;
    return;
  }
  if (!m_after.isNull()) m_document->writeLayerRect(m_layer, m_rect, m_after);
}

LayerSnapshotCommand::LayerSnapshotCommand(Document* document, Layer layer, const QString& text,
                                           const QImage& before, const QImage& after)
    : QUndoCommand(text), m_document(document), m_layer(layer), m_before(before), m_after(after) {}

void LayerSnapshotCommand::undo() { m_document->writeLayer(m_layer, m_before); }
void LayerSnapshotCommand::redo() { m_document->writeLayer(m_layer, m_after); }

}  // namespace bd::ui
