#include "test_images.h"

#include <random>

namespace bd::test {

Image random_image(int w, int h, int channels, int depth, unsigned seed) {
  Image im{w, h, channels, depth, {}};
  im.data.resize(static_cast<std::size_t>(w) * h * im.bytes_per_pixel());
  std::mt19937 rng(seed);
  for (auto& b : im.data) b = static_cast<std::uint8_t>(rng());
  return im;
}

Image pattern_image(int w, int h, int channels, int depth) {
  Image im{w, h, channels, depth, {}};
  im.data.resize(static_cast<std::size_t>(w) * h * im.bytes_per_pixel());
  for (std::size_t i = 0; i < im.data.size(); ++i)
    im.data[i] = static_cast<std::uint8_t>((i * 37 + i / 7) % 251);
  return im;
}

Image gradient_image(int w, int h, int channels) {
  Image im{w, h, channels, 8, {}};
  im.data.reserve(static_cast<std::size_t>(w) * h * channels);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c) {
        const int v = c == 0 ? x * 200 / w + 20 : c == 1 ? y * 200 / h + 20 : c == 2 ? 128 : 255;
        im.data.push_back(static_cast<std::uint8_t>(v));
      }
  return im;
}

Image rect_mask(int w, int h, int x0, int y0, int x1, int y1) {
  Image m;
  m.width = w;
  m.height = h;
  m.channels = 1;
  m.data.assign(static_cast<std::size_t>(w) * h, 0);
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) m.data[static_cast<std::size_t>(y) * w + x] = 255;
  return m;
}

}  // namespace bd::test
