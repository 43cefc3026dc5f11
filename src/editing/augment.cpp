#include "editing/augment.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace bd::editing {

namespace F = torch::nn::functional;

namespace {

using Mat3 = std::array<double, 9>;

Mat3 invert(const Mat3& m) {
  const double a = m[0], b = m[1], c = m[2], d = m[3], e = m[4], f = m[5], g = m[6], h = m[7], i = m[8];
  const double det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  const double s = 1.0 / det;
  return {(e * i - f * h) * s, (c * h - b * i) * s, (b * f - c * e) * s,
          (f * g - d * i) * s, (a * i - c * g) * s, (c * d - a * f) * s,
          (d * h - e * g) * s, (b * g - a * h) * s, (a * e - b * d) * s};
}

// The homography taking the four `from` points to `to` (direct linear transform, h33=1).
Mat3 homography(const std::array<double, 8>& from, const std::array<double, 8>& to) {
  double a[8][9] = {};
  for (int k = 0; k < 4; ++k) {
    const double x = from[2 * k], y = from[2 * k + 1], u = to[2 * k], v = to[2 * k + 1];
    double r1[9] = {x, y, 1, 0, 0, 0, -u * x, -u * y, u};
    double r2[9] = {0, 0, 0, x, y, 1, -v * x, -v * y, v};
    std::copy(r1, r1 + 9, a[2 * k]);
    std::copy(r2, r2 + 9, a[2 * k + 1]);
  }
  // Gaussian elimination with partial pivoting on the 8x8 system.
  for (int col = 0; col < 8; ++col) {
    int pivot = col;
    for (int r = col + 1; r < 8; ++r)
      if (std::abs(a[r][col]) > std::abs(a[pivot][col])) pivot = r;
    std::swap(a[col], a[pivot]);
    for (int r = 0; r < 8; ++r) {
      if (r == col) continue;
      const double f = a[r][col] / a[col][col];
      for (int c = col; c < 9; ++c) a[r][c] -= f * a[col][c];
    }
  }
  Mat3 h{};
  for (int k = 0; k < 8; ++k) h[k] = a[k][8] / a[k][k];
  h[8] = 1.0;
  return h;
}

torch::Tensor to_tensor(const std::vector<Mat3>& ms) {
  auto t = torch::empty({static_cast<int64_t>(ms.size()), 3, 3}, torch::kFloat64);
  auto acc = t.accessor<double, 3>();
  for (std::size_t n = 0; n < ms.size(); ++n)
    for (int k = 0; k < 9; ++k) acc[n][k / 3][k % 3] = ms[n][k];
  return t;
}

const Mat3 kIdentity = {1, 0, 0, 0, 1, 0, 0, 0, 1};

}  // namespace

ClipAugmenter::ClipAugmenter(AugmentSettings settings, const std::vector<std::uint64_t>& seeds)
    : settings_(settings) {
  for (auto seed : seeds) rngs_.emplace_back(seed);
  if (rngs_.empty()) rngs_.emplace_back(0);
}

ClipAugmenter ClipAugmenter::slice(std::size_t begin, std::size_t end) const {
  ClipAugmenter part = *this;
  end = std::min(end, rngs_.size());
  part.rngs_.assign(rngs_.begin() + static_cast<std::ptrdiff_t>(std::min(begin, end)),
                    rngs_.begin() + static_cast<std::ptrdiff_t>(end));
  if (part.rngs_.empty()) part.rngs_.emplace_back(0);
  return part;
}

torch::Tensor ClipAugmenter::random_affine_inverse(int64_t n, int64_t batch, int64_t size) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<Mat3> out;
  const double center = (size - 1) / 2.0;
  for (int64_t i = 0; i < n; ++i) {
    auto& rng = rngs_[(i % batch) % rngs_.size()];  // row i is a view of sample i % batch
    if (unit(rng) >= settings_.probability) {
      out.push_back(kIdentity);
      continue;
    }
    const double degrees = (2 * unit(rng) - 1) * settings_.max_degrees;
    const double shift = (2 * unit(rng) - 1) * settings_.max_translate_y * size;
    const double r = degrees * M_PI / 180.0, c = std::cos(r), s = std::sin(r);
    // Rotation about the centre, then the shift: forward map input -> output.
    const Mat3 forward = {c, -s, center - c * center + s * center,
                          s, c,  center - s * center - c * center + shift,
                          0, 0,  1};
    out.push_back(invert(forward));
  }
  return to_tensor(out);
}

torch::Tensor ClipAugmenter::random_perspective_inverse(int64_t n, int64_t batch, int64_t size) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<Mat3> out;
  const double last = size - 1.0;
  const double reach = settings_.distortion * size / 2.0;
  const std::array<double, 8> corners = {0, 0, last, 0, last, last, 0, last};
  const double signs[8] = {1, 1, -1, 1, -1, -1, 1, -1};  // every corner moves inward
  for (int64_t i = 0; i < n; ++i) {
    auto& rng = rngs_[(i % batch) % rngs_.size()];
    if (unit(rng) >= settings_.probability) {
      out.push_back(kIdentity);
      continue;
    }
    std::array<double, 8> moved{};
    for (int k = 0; k < 8; ++k) moved[k] = corners[k] + signs[k] * reach * unit(rng);
    // The homography takes the corners to the moved points; sampling needs its inverse.
    out.push_back(invert(homography(corners, moved)));
  }
  return to_tensor(out);
}

torch::Tensor warp_homography(const torch::Tensor& images, const torch::Tensor& inverse,
                              bool border_padding) {
  // images: [N, C, H, W]; inverse: [N, 3, 3] output pixel -> input pixel.
  const int64_t n = images.size(0), h = images.size(2), w = images.size(3);
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto ys = torch::arange(h, opts), xs = torch::arange(w, opts);
  auto grid = torch::meshgrid({ys, xs}, "ij");
  auto pixels = torch::stack({grid[1], grid[0], torch::ones_like(grid[0])}, -1).reshape({1, h * w, 3});
  auto src = torch::matmul(pixels, inverse.transpose(1, 2));  // [N, HW, 3]
  auto xy = src.narrow(2, 0, 2) / src.narrow(2, 2, 1);
  // Pixel centres 0..W-1 map to -1..1 with align_corners=True.
  auto scale = torch::tensor({2.0 / std::max<int64_t>(w - 1, 1), 2.0 / std::max<int64_t>(h - 1, 1)}, opts);
  auto normalized = (xy * scale - 1).reshape({n, h, w, 2}).to(images.device(), images.scalar_type());
  auto options = F::GridSampleFuncOptions().mode(torch::kBilinear).align_corners(true);
  if (border_padding) options.padding_mode(torch::kBorder);
  else options.padding_mode(torch::kZeros);
  return F::grid_sample(images, normalized, options);
}

torch::Tensor ClipAugmenter::operator()(const torch::Tensor& x) {
  // x: [B, 3, S, S] -> resized: [B, 3, clip, clip] (adaptive average pooling, as the reference)
  auto resized = F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions({settings_.clip_size, settings_.clip_size}));
  if (settings_.views <= 1) return resized;
  auto tiled = resized.repeat({settings_.views - 1, 1, 1, 1});
  if (settings_.random) {
    const int64_t n = tiled.size(0);
    const int64_t batch = x.size(0);
    tiled = warp_homography(tiled, random_affine_inverse(n, batch, settings_.clip_size), /*border_padding=*/true);
    tiled = warp_homography(tiled, random_perspective_inverse(n, batch, settings_.clip_size), /*border_padding=*/false);
  }
  return torch::cat({resized, tiled}, 0);
}

}  // namespace bd::editing
