#pragma once
// Helpers shared by the editor tests (Qt only, header-only).
#include <QColor>
#include <QImage>

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

}  // namespace bd::test
