#include "editing/guidance.h"

#include <torch/torch.h>

namespace bd::editing {

namespace F = torch::nn::functional;

torch::Tensor spherical_distance(const torch::Tensor& x, const torch::Tensor& y) {
  auto xn = F::normalize(x, F::NormalizeFuncOptions().dim(-1));
  auto yn = F::normalize(y, F::NormalizeFuncOptions().dim(-1));
  return (xn - yn).norm(2, -1).div(2).arcsin().pow(2).mul(2);
}

torch::Tensor range_loss(const torch::Tensor& pred_xstart) {
  return (pred_xstart - pred_xstart.clamp(-1, 1)).pow(2).mean({1, 2, 3}).sum();
}

torch::Tensor clip_normalize(const torch::Tensor& images01) {
  auto opts = images01.options();
  auto mean = torch::tensor({0.48145466, 0.4578275, 0.40821073}, opts).view({1, 3, 1, 1});
  auto std = torch::tensor({0.26862954, 0.26130258, 0.27577711}, opts).view({1, 3, 1, 1});
  return (images01 - mean) / std;
}

ClipLossResult clip_guidance_loss(nn::Clip& clip, const torch::Tensor& text_embed,
                                  const torch::Tensor& x_in, const torch::Tensor& mask,
                                  ClipAugmenter& augmenter) {
  const int64_t batch = x_in.size(0);
  auto masked = x_in * mask;                                      // [B, 3, S, S]
  auto views = augmenter(masked);                                 // [V·B, 3, c, c]
  auto embeddings = clip->encode_image(clip_normalize(views.add(1).div(2))).to(torch::kFloat32);
  auto dists = spherical_distance(embeddings, text_embed);        // [V·B]
  // Rows b, b+B, … are sample b's views: mean over views, sum over samples.
  auto loss = dists.view({-1, batch}).mean(0).sum();
  return {loss, dists.detach()};
}

torch::Tensor ranking_distance(nn::Clip& clip, const torch::Tensor& text_embed,
                               const torch::Tensor& pred01, const torch::Tensor& mask) {
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

}  // namespace bd::editing
