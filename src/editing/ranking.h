#pragma once
// Ranking finished candidates: the official CLIP score of the masked result (lower is
// better), and the order the gallery shows. The one place both live.
#include <torch/types.h>

#include <vector>

#include "bd/engine.h"
#include "nn/clip.h"

namespace bd::editing {

// The official ranking score of finished images pred01 [B, 3, S, S] in [0, 1]: masked to
// black outside, bilinear resize without antialiasing, *no* CLIP normalisation (quirks of
// the original, kept so scores compare with it). Lower is better. -> float64 [B].
torch::Tensor ranking_distance(nn::Clip& clip, const torch::Tensor& text_embed, const torch::Tensor& pred01,
                               const torch::Tensor& mask);

// The image side of ranking_distance: CLIP embeddings [B, E] (float32) of that view.
torch::Tensor ranking_embedding(nn::Clip& clip, const torch::Tensor& pred01, const torch::Tensor& mask);

// Best first; equal scores keep the order they were made in.
void sort_best_first(std::vector<Candidate>& candidates);

}  // namespace bd::editing
