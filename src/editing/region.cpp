#include "editing/region.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "bd/edit_param_table.h"
#include "bd/error.h"
#include "editing/mask.h"
#include "io/image_file.h"

namespace bd::editing {

namespace {

[[noreturn]] void invalid(const std::string& what) { throw Error(ErrorKind::InvalidInput, what); }

std::string size_text(int w, int h) { return std::to_string(w) + "x" + std::to_string(h); }

// One axis of the box: `side` long, centred on `centre`, inside [0, limit).
std::pair<int, int> place(double centre, int side, int limit) {
  if (side >= limit) return {0, limit};
  const int start = static_cast<int>(std::lround(centre - side / 2.0));
  return {std::clamp(start, 0, limit - side), side};
}

cv::Rect context_box(const cv::Rect& mask_box, int image_w, int image_h, int model_size,
                     const RegionParams& p) {
  const int longer = std::max(mask_box.width, mask_box.height);
  // The feather band must lie inside the box: compositing only touches the box.
  const int required = longer + 2 * (p.feather_px + 1);
  const int margin = static_cast<int>(std::ceil(p.padding * longer));
  const int desired = std::max(longer + 2 * margin, model_size);
  const int side = std::max(required, std::min(desired, std::min(image_w, image_h)));
  const auto [x, w] = place(mask_box.x + mask_box.width / 2.0, side, image_w);
  const auto [y, h] = place(mask_box.y + mask_box.height / 2.0, side, image_h);
  return {x, y, w, h};
}

int interpolation(const cv::Size& from, const cv::Size& to) {
  return to.width < from.width || to.height < from.height ? cv::INTER_AREA : cv::INTER_CUBIC;
}

cv::Mat resized(const cv::Mat& m, const cv::Size& to) {
  if (m.size() == to) return m.clone();
  cv::Mat out;
  cv::resize(m, out, to, 0, 0, interpolation(m.size(), to));
  return out;
}

double max_sample(int depth) { return depth == 16 ? 65535.0 : 255.0; }

// The box of `image` as RGB float in [-1, 1]: gray spread to RGB, alpha dropped.
cv::Mat crop_rgb(const Image& image, const cv::Rect& box) {
  cv::Mat f;
  io::mat_view(image)(box).convertTo(f, CV_32F, 2.0 / max_sample(image.depth), -1.0);
  if (image.channels == 1) cv::cvtColor(f, f, cv::COLOR_GRAY2RGB);
  if (image.channels == 4) cv::cvtColor(f, f, cv::COLOR_RGBA2RGB);
  return f;
}

template <typename T>
void blend(Image& out, const cv::Rect& box, const cv::Mat& edited, const cv::Mat& alpha) {
  const int channels = out.channels;
  const int colour = channels == 4 ? 3 : channels;  // alpha stays the original's
  T* pixels = reinterpret_cast<T*>(out.data.data());
  for (int y = 0; y < box.height; ++y) {
    const float* a = alpha.ptr<float>(y);
    const float* e = edited.ptr<float>(y);
    T* row = pixels + (static_cast<std::size_t>(box.y + y) * out.width + box.x) * channels;
    for (int x = 0; x < box.width; ++x) {
      if (a[x] <= 0.f) continue;  // untouched: keeps the input's exact bits
      T* px = row + static_cast<std::size_t>(x) * channels;
      for (int c = 0; c < colour; ++c) {
        const float v = a[x] * e[x * colour + c] + (1.f - a[x]) * static_cast<float>(px[c]);
        px[c] = cv::saturate_cast<T>(v);
      }
    }
  }
}

}  // namespace

PreparedRegion prepare_region(const Image& image, const Image& mask, int model_size,
                              const RegionParams& params) {
  io::check_image(image, "image");
  if (mask.width != image.width || mask.height != image.height)
    invalid("mask is " + size_text(mask.width, mask.height) + " but the image is " +
            size_text(image.width, image.height) + ": they must be the same size");
  if (model_size < 1) invalid("model size must be positive, not " + std::to_string(model_size));
  for (const auto& [key, value] : {std::pair<const char*, ParamValue>{"feather_px", std::int64_t{params.feather_px}},
                                    {"grow_px", std::int64_t{params.grow_px}},
                                    {"padding", params.padding}})
    if (std::string problem = check_param_value(edit_param(key), value); !problem.empty()) invalid(problem);

  cv::Mat binary = binarize_mask(mask);
  if (params.invert) cv::bitwise_not(binary, binary);
  if (cv::countNonZero(binary) == 0) invalid("mask is empty: paint the region to edit");
  const cv::Mat grown = grow_mask(binary, params.grow_px);
  if (cv::countNonZero(grown) == 0)
    invalid("mask is empty after shrinking it by " + std::to_string(-params.grow_px) + " px");

  PreparedRegion r;
  r.image_width = image.width;
  r.image_height = image.height;
  r.model_size = model_size;
  r.box = context_box(cv::boundingRect(grown), image.width, image.height, model_size, params);

  // The longer side of the box fills the model square; the shorter is centred.
  const double scale = static_cast<double>(model_size) / std::max(r.box.width, r.box.height);
  const int cw = std::clamp(static_cast<int>(std::lround(r.box.width * scale)), 1, model_size);
  const int ch = std::clamp(static_cast<int>(std::lround(r.box.height * scale)), 1, model_size);
  r.model_content = {(model_size - cw) / 2, (model_size - ch) / 2, cw, ch};
  const int top = r.model_content.y, bottom = model_size - ch - top;
  const int left = r.model_content.x, right = model_size - cw - left;

  cv::Mat rgb = resized(crop_rgb(image, r.box), {cw, ch});
  rgb = cv::min(cv::max(rgb, -1.0), 1.0);  // bicubic upsampling overshoots
  cv::copyMakeBorder(rgb, r.model_rgb, top, bottom, left, right, cv::BORDER_REFLECT_101);

  cv::Mat coverage;
  grown(r.box).convertTo(coverage, CV_32F, 1.0 / 255.0);
  coverage = resized(coverage, {cw, ch});
  cv::Mat model_mask;
  cv::threshold(coverage, model_mask, 0.5 - 1e-6, 1.0, cv::THRESH_BINARY);
  // A mask thinner than one model pixel would vanish; keep every touched model pixel.
  if (cv::countNonZero(model_mask) == 0)
    cv::threshold(coverage, model_mask, 0.0, 1.0, cv::THRESH_BINARY);
  cv::copyMakeBorder(model_mask, r.model_mask, top, bottom, left, right, cv::BORDER_CONSTANT, 0.0);

  r.alpha_full = feather_mask(grown, params.feather_px)(r.box).clone();
  return r;
}

Image composite_box(const Image& original, const PreparedRegion& region,
                    const cv::Mat& edited_model_rgb) {
  io::check_image(original, "original image");
  if (original.width != region.image_width || original.height != region.image_height)
    invalid("image is " + size_text(original.width, original.height) +
            " but the region was prepared for " +
            size_text(region.image_width, region.image_height));
  const int s = region.model_size;
  if (edited_model_rgb.type() != CV_32FC3 || edited_model_rgb.rows != s ||
      edited_model_rgb.cols != s)
    invalid("edited image must be " + size_text(s, s) + " float RGB, not " +
            size_text(edited_model_rgb.cols, edited_model_rgb.rows) + " " +
            cv::typeToString(edited_model_rgb.type()));

  cv::Mat edited = resized(edited_model_rgb(region.model_content), region.box.size());
  edited = cv::min(cv::max(edited, -1.0), 1.0);
  const double max = max_sample(original.depth);
  edited.convertTo(edited, CV_32F, max / 2.0, max / 2.0);
  if (original.channels == 1) cv::cvtColor(edited, edited, cv::COLOR_RGB2GRAY);
  if (!edited.isContinuous()) edited = edited.clone();

  Image out = io::image_from_mat(io::mat_view(original)(region.box));  // a copy of the box
  const cv::Rect whole(0, 0, region.box.width, region.box.height);
  if (original.depth == 16)
    blend<std::uint16_t>(out, whole, edited, region.alpha_full);
  else
    blend<std::uint8_t>(out, whole, edited, region.alpha_full);
  return out;
}

Image composite_region(const Image& original, const PreparedRegion& region,
                       const cv::Mat& edited_model_rgb) {
  const Image box = composite_box(original, region, edited_model_rgb);
  Image out = original;
  const std::size_t pixel = out.bytes_per_pixel();
  const std::size_t row = static_cast<std::size_t>(box.width) * pixel;
  for (int y = 0; y < box.height; ++y)
    std::memcpy(out.data.data() + (static_cast<std::size_t>(region.box.y + y) * out.width + region.box.x) * pixel,
                box.data.data() + static_cast<std::size_t>(y) * row, row);
  return out;
}

}  // namespace bd::editing
