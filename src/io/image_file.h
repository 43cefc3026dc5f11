#pragma once
// Engine-side helpers around bd::Image (declared in bd/image.h): the bridge to OpenCV
// matrices that both the file I/O and the editing code use. Always RGB order.
#include <opencv2/core/mat.hpp>

#include "bd/image.h"

namespace bd::io {

// Largest image accepted, checked from the file header before decoding where the format
// allows (so a 100000x100000 PNG bomb is refused without allocating), else after.
inline constexpr int kMaxImageSide = 32768;
inline constexpr long long kMaxImagePixels = 268435456;  // 2^28: 1 GiB as 8-bit RGBA

// A header over the image's own bytes (CV_8U or CV_16U, 1/3/4 channels, RGB order).
// No copy: the caller must not write through it nor outlive `image`.
cv::Mat mat_view(const Image& image);

// Copies an 8/16-bit 1/3/4-channel RGB-order matrix into an Image. Throws bd::Error
// (InvalidInput) for any other type.
Image image_from_mat(const cv::Mat& mat);

// Throws bd::Error(InvalidInput) unless width, height, channels, depth and data size agree.
void check_image(const Image& image, const std::string& what);

}  // namespace bd::io
