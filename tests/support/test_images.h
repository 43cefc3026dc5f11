#pragma once
// Synthetic images and masks for tests: deterministic, and each kind chosen for what it
// catches (noise for bit-exact round trips, a pattern for moved or mixed-up pixels, a
// gradient for lossy codecs and resampling, rectangles for masks).
#include "bd/image.h"

namespace bd::test {

// Every byte from a seeded std::mt19937: lossless round trips must give it back exactly.
Image random_image(int w, int h, int channels, int depth, unsigned seed = 1);

// Byte i of the data is (i * 37 + i / 7) % 251: neighbouring samples and pixels differ, so
// a shifted, flipped or channel-swapped copy shows, and it is the same on every run.
Image pattern_image(int w, int h, int channels, int depth = 8);

// Smooth 8-bit content that lossy codecs and resampling reproduce closely: channel 0
// rises with x (20..220), channel 1 with y, channel 2 is 128 and channel 3 opaque.
Image gradient_image(int w, int h, int channels = 3);

// A one-channel mask: 255 inside [x0, x1) x [y0, y1), 0 elsewhere.
Image rect_mask(int width, int height, int x0, int y0, int x1, int y1);

}  // namespace bd::test
