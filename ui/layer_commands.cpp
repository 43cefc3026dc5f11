#include "layer_commands.h"

namespace bd::ui {

LayerSnapshotCommand::LayerSnapshotCommand(Document* document, Layer layer, const QString& text,
                                           const QImage& before, const QImage& after)
    : QUndoCommand(text), m_document(document), m_layer(layer), m_before(before), m_after(after) {}

void LayerSnapshotCommand::undo() { m_document->writeLayer(m_layer, m_before); }
void LayerSnapshotCommand::redo() { m_document->writeLayer(m_layer, m_after); }

}  // namespace bd::ui
