#pragma once
// The CLIP views of Blended Diffusion's guidance (ImageAugmentations): resize to CLIP's
// input size, keep one plain view per sample, and warp the others with a random affine
// (kornia RandomAffine(15°, translate 0.1, p 0.7, border)) and a random perspective
// (RandomPerspective(0.7, p 0.7, zero padding)).
#include <torch/types.h>

#include <cstdint>
#include <random>
#include <vector>

namespace bd::editing {

struct AugmentSettings {
  int clip_size = 224;
  int views = 8;              // aug_num: views per sample, the first one plain
  bool random = true;         // false: every view plain (the reference-fidelity switch)
  double probability = 0.7;   // per transform and view
  double max_degrees = 15.0;
  // kornia turns translate=0.1 into a vertical-only shift of ±10 % (reference-spec
  // §2.6); we reproduce that quirk rather than the documented 2-D shift.
  double max_translate_y = 0.1;
  double distortion = 0.7;
};

class ClipAugmenter {
 public:
  // One parameter stream per sample of the batch, so each candidate's views depend on
  // its own seed only.
  ClipAugmenter(AugmentSettings settings, const std::vector<std::uint64_t>& seeds);

  // x: [B, 3, S, S] in [-1, 1] -> [views·B, 3, clip, clip], ordered [plain B, view 1 B, …]
  // so that rows b, b+B, b+2B, … are the views of sample b. Differentiable in x.
  torch::Tensor operator()(const torch::Tensor& x);

  const AugmentSettings& settings() const { return settings_; }
  // The parameter streams of samples [begin, end), where they are now (the object itself
  // copies whole: a copy is a snapshot).
  ClipAugmenter slice(std::size_t begin, std::size_t end) const;

 private:
  // 3x3 homographies (pixel coordinates, output -> input) for n views.
  torch::Tensor random_affine_inverse(int64_t n, int64_t batch, int64_t size);
  torch::Tensor random_perspective_inverse(int64_t n, int64_t batch, int64_t size);

  AugmentSettings settings_;
  std::vector<std::mt19937_64> rngs_;
};

// Samples `images` [N, C, H, W] at H⁻¹·p for every output pixel p; `inverse` [N, 3, 3].
torch::Tensor warp_homography(const torch::Tensor& images, const torch::Tensor& inverse,
                              bool border_padding);

}  // namespace bd::editing
