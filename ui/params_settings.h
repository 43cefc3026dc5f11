#pragma once
// The edit parameters in QSettings, one value per entry of the parameter table under
// "params/<key>".
#include <QSettings>

#include "bd/edit_params.h"

namespace bd::ui {

void writeParams(QSettings& settings, const bd::EditParams& params);
// Falls back to `params`' value for every missing, malformed or out-of-range entry.
bd::EditParams readParams(QSettings& settings, bd::EditParams params);

}  // namespace bd::ui
