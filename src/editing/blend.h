#pragma once
// Blended Diffusion's one operation: `inside` where the mask is 1, `outside` where it is
// 0, mixed where it is soft. Every blend of the edit goes through here: the per-step
// background blend, the preview and the final background enforcement.
#include <torch/types.h>

namespace bd::editing {

// inside [B, C, S, S]; outside [B or 1, C, S, S]; mask [1, 1, S, S] in [0, 1].
inline torch::Tensor blend(const torch::Tensor& inside, const torch::Tensor& outside, const torch::Tensor& mask) {
  return inside * mask + outside.expand_as(inside) * (1 - mask);
}

}  // namespace bd::editing
