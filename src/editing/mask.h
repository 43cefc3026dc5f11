#pragma once
// The user's mask as the editor understands it: a binary "edit here" map at full
// resolution, optionally inverted and grown, and the feathered alpha used to paste the
// result back. All maps are CV_8U {0, 255} (binary) or CV_32F [0, 1] (alpha).
#include <opencv2/core/mat.hpp>

#include "bd/image.h"

namespace bd::editing {

// Nonzero samples of the first channel mean "edit here" (the reference binarizes with
// `array > 0.5` on uint8). A mask with alpha whose colour channels are all zero is
// read from its alpha instead, so "paint on a transparent layer" masks work in any
// colour. Throws bd::Error(InvalidInput) for a malformed Image.
cv::Mat binarize_mask(const Image& mask);

// Dilates (px > 0) or erodes (px < 0) with a disk of radius |px|: the same set as an
// elliptical kernel, computed with a distance transform so large radii stay O(pixels).
cv::Mat grow_mask(const cv::Mat& binary, int px);

// 1 inside `binary`, falling smoothly (smoothstep of the Euclidean distance) to exactly 0
// at feather_px + 1 pixels outside it: the soft edge lies wholly outside the mask, so
// every masked pixel gets the edit in full. feather_px == 0 gives the hard mask.
cv::Mat feather_mask(const cv::Mat& binary, int feather_px);

}  // namespace bd::editing
