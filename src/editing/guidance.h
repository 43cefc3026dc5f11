#pragma once
// The losses whose gradient steers the masked region (Blended Diffusion's cond_fn).
#include <torch/types.h>

#include "editing/augment.h"
#include "nn/clip.h"
#include "nn/lpips.h"

namespace bd::editing {

// Squared spherical distance 2·arcsin(‖x̂ − ŷ‖/2)² = θ²/2 between rows of x [N, E] and
// y [1, E] (or [N, E]) -> [N]. The paper calls it a cosine distance; the code uses this.
torch::Tensor spherical_distance(const torch::Tensor& x, const torch::Tensor& y);

// Σ_b mean((x̂₀ − clamp(x̂₀, −1, 1))²) over c, h, w: keeps x̂₀ in the image range.
torch::Tensor range_loss(const torch::Tensor& pred_xstart);

// CLIP's input normalisation of images in [0, 1].
torch::Tensor clip_normalize(const torch::Tensor& images01);

struct ClipLossResult {
  torch::Tensor loss;       // scalar: Σ_b mean over the views of sample b
  torch::Tensor distances;  // [views·B], detached, for logs and tests
};

// The guidance loss on x_in [B, 3, S, S] in [−1, 1]: masked with `mask` [1, 1, S, S]
// (outside becomes 0, i.e. mid-grey), augmented into views, normalised, encoded.
ClipLossResult clip_guidance_loss(nn::Clip& clip, const torch::Tensor& text_embed,
                                  const torch::Tensor& x_in, const torch::Tensor& mask,
                                  ClipAugmenter& augmenter);

// The local baseline's background preservation on x_in [B, 3, S, S]: λ_l2 · MSE and
// λ_lpips · Σ_b LPIPS of the part outside the mask against init [1, 3, S, S]. lpips may
// be null (the pack has no LPIPS weights).
torch::Tensor background_loss(const torch::Tensor& x_in, const torch::Tensor& init, const torch::Tensor& mask,
                              double l2_lambda, nn::Lpips* lpips, double lpips_lambda);

}  // namespace bd::editing
