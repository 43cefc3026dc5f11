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

torch::Tensor background_loss(const torch::Tensor& x_in, const torch::Tensor& init, const torch::Tensor& mask,
                              double l2_lambda, nn::Lpips* lpips, double lpips_lambda) {
  // The baseline's quirk: the target is the unmasked init, so inside the mask the zeros
  // are pulled toward the original too (reference-spec §2.6).
  auto background = x_in * (1 - mask);  // [B, 3, S, S]
  torch::Tensor loss = torch::zeros({}, x_in.options());
  // Σ_b LPIPS(background_b, init), init [1, 3, S, S] broadcast, as lpips(bg, init).sum().
  if (lpips && lpips_lambda != 0.0) loss = loss + (*lpips)->forward(background, init).sum() * lpips_lambda;
  if (l2_lambda != 0.0) loss = loss + torch::mse_loss(background, init.expand_as(background)) * l2_lambda;
  return loss;
}

}  // namespace bd::editing
