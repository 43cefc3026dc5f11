#pragma once
// Value types that cross the GUI <-> worker boundary through queued signals. They hold
// QImage (never QPixmap: pixmaps belong to the GUI thread), plain numbers and strings.
#include <QImage>
#include <QMetaType>
#include <QPoint>
#include <QString>
#include <QtGlobal>

#include "bd/edit_params.h"

namespace bd::ui {

struct StepProgress {
  quint64 jobId = 0;
  int step = 0;  // 1-based, over all iterations
  int total = 0;
  int iteration = 0;
  double elapsedS = 0.0;
  double etaS = 0.0;
};

// A live preview (x̂0 with the background pasted), as the part of the image the edit
// can change. `engineNs` is when the engine handed it over (steady clock), so delivery
// latency to the screen can be measured.
struct PreviewFrame {
  quint64 jobId = 0;
  int step = 0;
  QImage image;  // the edit's box, in a format the canvas draws without converting
  QPoint at;     // the box's top-left in the full image
  qint64 engineNs = 0;
};

struct CandidateEntry {
  QImage image;        // full resolution, composited onto the original; null until
                       // needed for one restored from the history store (see `file`)
  QImage thumbnail;    // the gallery's picture, made off the GUI thread (may be null)
  double score = 0.0;  // CLIP distance; lower is better
  quint64 seed = 0;
  int iteration = 0;
  int index = 0;
  double seconds = 0.0;
  QString parameters;  // the PNG "parameters" text (prompt, steps, seed, score, ...)
  // What the user did with it; a candidate with neither is mentioned before quitting.
  bool exported = false;
  bool applied = false;
  // Where the full image is, for a candidate restored from the history store: it is read
  // when first shown, applied or exported (Document::candidateImage), so reopening an
  // image with a long history costs thumbnails, not every full-resolution result.
  QString file;
};

struct PackInfo {
  QString dir;
  QString name;
  QString title;
  QString device;     // as the engine resolved it: "cpu", "cuda:0", ...
  QString precision;  // "fp32", "fp16", "bf16"
  int imageSize = 0;
  double cpuSecondsPerStep = 0.0;  // the pack's measured figure (see bd::ModelPack); 0: none
  int cpuThreads = 1;              // the threads that figure was measured on
  int threads = 1;                 // the CPU threads this process computes with
  bd::EditParams defaults;
};

}  // namespace bd::ui

Q_DECLARE_METATYPE(bd::ui::StepProgress)
Q_DECLARE_METATYPE(bd::ui::PreviewFrame)
Q_DECLARE_METATYPE(bd::ui::CandidateEntry)
Q_DECLARE_METATYPE(bd::ui::PackInfo)
