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

// The part of the image within `margin` px (Chebyshev) of the mask's bounding box. Masks
// are small next to photos: the distance transforms below run on this window only, which
// is exact (the nearest mask pixel of any window pixel lies inside the box) and spares a
// 200-megapixel image its full-size float maps.
cv::Rect window_around(const cv::Mat& binary, int margin) {
  const cv::Rect box = cv::boundingRect(binary);
  const cv::Rect grown(box.x - margin, box.y - margin, box.width + 2 * margin, box.height + 2 * margin);
  return grown & cv::Rect(0, 0, binary.cols, binary.rows);
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
  cv::Mat out = cv::Mat::zeros(binary.size(), CV_8U);
  if (cv::countNonZero(binary) == 0) return out;
  if (px > 0) {
    // Beyond px + 1 of the box every pixel is farther than px from the mask.
    const cv::Rect w = window_around(binary, px + 1);
    cv::Mat grown;
    cv::compare(distance_to(binary(w)), px, grown, cv::CMP_LE);
    grown.copyTo(out(w));
  } else {
    cv::Mat background;
    cv::compare(binary, 0, background, cv::CMP_EQ);
    if (cv::countNonZero(background) == 0) return binary.clone();  // nothing to shrink from
    // One ring of background around the box stands in for all the background beyond it:
    // clamping a far background pixel onto the ring only brings it closer.
    const cv::Rect w = window_around(binary, 1);
    cv::Mat kept;
    cv::compare(distance_to(background(w)), -px, kept, cv::CMP_GT);
    kept.copyTo(out(w));
  }
  return out;
}

cv::Mat feather_mask(const cv::Mat& binary, int feather_px) {
  cv::Mat alpha;
  binary.convertTo(alpha, CV_32F, 1.0 / 255.0);
  if (feather_px <= 0 || cv::countNonZero(binary) == 0) return alpha;
  const float band = static_cast<float>(feather_px + 1);
  const cv::Rect w = window_around(binary, feather_px + 2);  // beyond it: farther than the band
  const cv::Mat dist = distance_to(binary(w));
  for (int y = 0; y < w.height; ++y) {
    const float* d = dist.ptr<float>(y);
    float* a = alpha.ptr<float>(w.y + y) + w.x;
    for (int x = 0; x < w.width; ++x) {
      if (d[x] <= 0.f || d[x] >= band) continue;
      const float t = d[x] / band;
      a[x] = 1.f - t * t * (3.f - 2.f * t);
    }
  }
  return alpha;
}

}  // namespace bd::editing
