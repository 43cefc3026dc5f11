#pragma once
// bd::Image <-> QImage without losing depth: 8- and 16-bit gray, RGB and RGBA map to
// the matching QImage formats. Other QImage formats are converted to RGB(A) first.
#include <QImage>

#include "bd/image.h"

namespace bd::ui {

QImage toQImage(const bd::Image& image);
// For showing only: 8 bits per channel in the format the raster engine draws without
// converting (RGB32, or premultiplied ARGB32 with alpha), made in one pass.
QImage toDisplayQImage(const bd::Image& image);
bd::Image fromQImage(const QImage& image);
// A mask for the engine: one 8-bit channel, nonzero = edit here.
bd::Image maskFromQImage(const QImage& mask);

}  // namespace bd::ui
