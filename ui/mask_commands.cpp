#include "mask_commands.h"

#include "mask_canvas.h"
#include "undo_ids.h"

namespace bd::ui {

BrushStrokeCommand::BrushStrokeCommand(MaskCanvas* canvas, int stroke, const QImage& strokeStart,
                                       const QRect& rect, bool erase)
    : QUndoCommand(erase ? QObject::tr("Erase mask") : QObject::tr("Paint mask")),
      m_canvas(canvas),
      m_stroke(stroke),
      m_strokeStart(strokeStart),
      m_rect(rect) {}

int BrushStrokeCommand::id() const { return UndoBrushStroke; }

bool BrushStrokeCommand::mergeWith(const QUndoCommand* other) {
  const auto* o = static_cast<const BrushStrokeCommand*>(other);
  if (o->m_stroke != m_stroke || !m_before.isNull()) return false;
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
  if (m_after.isNull()) m_after = m_canvas->mask().copy(m_rect);
  m_canvas->writeMaskRect(m_rect, m_before);
}

void BrushStrokeCommand::redo() {
  if (m_firstRedo) {
    m_firstRedo = false;
    return;
  }
  if (!m_after.isNull()) m_canvas->writeMaskRect(m_rect, m_after);
}

MaskSnapshotCommand::MaskSnapshotCommand(MaskCanvas* canvas, const QString& text,
                                         const QImage& before, const QImage& after)
    : QUndoCommand(text), m_canvas(canvas), m_before(before), m_after(after) {}

void MaskSnapshotCommand::undo() { m_canvas->writeMask(m_before); }
void MaskSnapshotCommand::redo() { m_canvas->writeMask(m_after); }

ImageSnapshotCommand::ImageSnapshotCommand(MaskCanvas* canvas, const QString& text,
                                           const QImage& before, const QImage& after)
    : QUndoCommand(text), m_canvas(canvas), m_before(before), m_after(after) {}

void ImageSnapshotCommand::undo() { m_canvas->writeImage(m_before); }
void ImageSnapshotCommand::redo() { m_canvas->writeImage(m_after); }

}  // namespace bd::ui
