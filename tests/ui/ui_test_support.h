#pragma once
// Helpers shared by the editor tests (Qt only, header-only).
#include <QColor>
#include <QImage>
#include <QSize>
#include <algorithm>
#include <cstdlib>

#include "edit_types.h"

namespace bd::test {

// A deterministic colourful scene: every pixel differs from its neighbours, so a wrong
// crop, flip or channel order shows.
inline QImage sceneImage(int w, int h) {
  QImage img(w, h, QImage::Format_RGB888);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      img.setPixelColor(x, y, QColor((x * 5) % 256, (y * 7) % 256, ((x + y) * 3) % 256));
  return img;
}

// A result of one flat colour, by default a hue of its own per seed so that two
// candidates look different on screen.
inline ui::CandidateEntry flatCandidate(double score, quint64 seed, QSize size = {40, 30},
                                        QColor colour = QColor()) {
  ui::CandidateEntry c;
  c.image = QImage(size, QImage::Format_RGB888);
  c.image.fill(colour.isValid() ? colour : QColor::fromHsv(int(seed * 40) % 360, 200, 200));
  c.score = score;
  c.seed = seed;
  return c;
}

// The largest difference of one 8-bit channel between two images of one size (RGB); -1
// when their sizes differ.
inline int maxChannelDifference(const QImage& a, const QImage& b) {
  const QImage x = a.convertToFormat(QImage::Format_RGB888);
  const QImage y = b.convertToFormat(QImage::Format_RGB888);
  if (x.size() != y.size()) return -1;
  int most = 0;
  for (int row = 0; row < x.height(); ++row)
    for (int i = 0; i < 3 * x.width(); ++i)
      most = std::max(most, std::abs(int(x.constScanLine(row)[i]) - int(y.constScanLine(row)[i])));
  return most;
}

}  // namespace bd::test
