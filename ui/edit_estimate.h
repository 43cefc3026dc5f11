#pragma once
// How long an edit will take on the CPU, so the editor can ask before one that runs for
// an hour (the published models take ~52 s per step on two cores).
#include <QString>
#include <QtGlobal>

#include "bd/edit_params.h"
#include "edit_types.h"

namespace bd::ui {

// Steps × candidates the edit runs: (respaced steps − skipped) × batch × iterations.
// Respacing as the engine reads it: "100", "ddim50", or sections "10,20,30".
qint64 candidateSteps(const bd::EditParams& params);

// Seconds the edit should take on the CPU: from the seconds per candidate-step this
// machine measured (measured > 0), else from the pack's figure scaled to this machine's
// threads; 0 when neither is known.
double estimateCpuEditSeconds(const bd::EditParams& params, const PackInfo& pack,
                              double measuredSecondsPerCandidateStep);

// "about 45 s", "about 70 min", "about 9.3 h".
QString describeDuration(double seconds);

}  // namespace bd::ui
