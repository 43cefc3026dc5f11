#pragma once
// Merge ids of every undo command, in one place (Tiled's habit): commands with the same
// id may merge, so one brush drag made of many mouse moves is one undo step.
namespace bd::ui {

enum UndoId {
  UndoBrushStroke = 1,  // merges only within the same stroke (see BrushStrokeCommand)
};

}  // namespace bd::ui
