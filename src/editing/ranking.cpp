#include "editing/ranking.h"

#include <torch/torch.h>

#include <algorithm>

#include "editing/guidance.h"

namespace bd::editing {

namespace F = torch::nn::functional;

torch::Tensor ranking_distance(nn::Clip& clip, const torch::Tensor& text_embed, const torch::Tensor& pred01,
                               const torch::Tensor& mask) {
  return spherical_distance(ranking_embedding(clip, pred01, mask), text_embed).to(torch::kFloat64);
}

torch::Tensor ranking_embedding(nn::Clip& clip, const torch::Tensor& pred01, const torch::Tensor& mask) {
  const int64_t size = clip->config().image_resolution;
  auto masked = pred01 * mask;
  auto resized = F::interpolate(masked, F::InterpolateFuncOptions()
                                            .size(std::vector<int64_t>{size, size})
                                            .mode(torch::kBilinear)
                                            .align_corners(false));
  return clip->encode_image(resized).to(torch::kFloat32);
}

void sort_best_first(std::vector<Candidate>& candidates) {
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.score < b.score; });
}

}  // namespace bd::editing
