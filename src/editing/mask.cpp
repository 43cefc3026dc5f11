#include "editing/mask.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "io/image_file.h"

namespace bd::editing {

namespace {

// Distance of every pixel to the nearest nonzero pixel of `binary` (0 on it).
cv::Mat distance_to(const cv::Mat& binary) {
  cv::Mat outside, dist;
  cv::compare(binary, 0, outside, cv::CMP_EQ);
  cv::distanceTransform(outside, dist, cv::DIST_L2, cv::DIST_MASK_PRECISE, CV_32F);
  return dist;
}

}  // namespace

cv::Mat binarize_mask(const Image& mask) {
  io::check_image(mask, "mask");
  const cv::Mat view = io::mat_view(mask);
  cv::Mat channel;
  cv::extractChannel(view, channel, 0);
  if (mask.channels == 4) {
    cv::Mat colour;
    cv::cvtColor(view, colour, cv::COLOR_RGBA2RGB);
    if (cv::countNonZero(colour.reshape(1)) == 0) cv::extractChannel(view, channel, 3);
  }
  cv::Mat binary;
  cv::compare(channel, 0, binary, cv::CMP_GT);
  return binary;
}

cv::Mat grow_mask(const cv::Mat& binary, int px) {
  if (px == 0) return binary.clone();
  cv::Mat out;
  if (px > 0) {
    cv::compare(distance_to(binary), px, out, cv::CMP_LE);
  } else {
    cv::Mat background;
    cv::compare(binary, 0, background, cv::CMP_EQ);
    if (cv::countNonZero(background) == 0) return binary.clone();  // nothing to shrink from
    cv::compare(distance_to(background), -px, out, cv::CMP_GT);
  }
  return out;
}

cv::Mat feather_mask(const cv::Mat& binary, int feather_px) {
  cv::Mat alpha;
  binary.convertTo(alpha, CV_32F, 1.0 / 255.0);
  if (feather_px <= 0) return alpha;
  const cv::Mat dist = distance_to(binary);
  const float band = static_cast<float>(feather_px + 1);
  for (int y = 0; y < alpha.rows; ++y) {
    const float* d = dist.ptr<float>(y);
    float* a = alpha.ptr<float>(y);
    for (int x = 0; x < alpha.cols; ++x) {
      if (d[x] <= 0.f || d[x] >= band) continue;
      const float t = d[x] / band;
      a[x] = 1.f - t * t * (3.f - 2.f * t);
    }
  }
  return alpha;
}

}  // namespace bd::editing
