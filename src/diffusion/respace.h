#pragma once
// Timestep respacing (guided_diffusion respace.py): which of the base process's steps a
// shorter sampler keeps, and the β of the shorter process that visits only those.
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bd::diffusion {

// The kept base timesteps, sorted ascending (the reference returns a set).
//  "ddimN":  the smallest integer stride s with len(range(0, T, s)) == N → {0, s, 2s, …}.
//  "a,b,c":  T is cut into equal sections (the first T % K one step longer); section k
//            keeps c_k steps at start + round(j·(size−1)/(c_k−1)), with Python's
//            round-half-even and the stride accumulated by repeated addition.
// Throws bd::Error(InvalidInput) naming the respacing when it cannot be honoured.
std::vector<int64_t> space_timesteps(int64_t num_timesteps, const std::string& section_counts);

struct RespacedBetas {
  std::vector<double> betas;          // β'_k = 1 − ᾱ[t_k] / ᾱ[t_{k−1}], ᾱ[t_{−1}] = 1
  std::vector<int64_t> timestep_map;  // respaced index k → base timestep t_k
};

// SpacedDiffusion.__init__: rebuilds β so that the respaced ᾱ equals the base ᾱ at the
// kept steps. `use_timesteps` must be sorted, unique and inside [0, base_betas.size()).
RespacedBetas respace_betas(const std::vector<double>& base_betas,
                            const std::vector<int64_t>& use_timesteps);

// blended-diffusion's ImageEditor.unscale_timestep: (t · (num_timesteps/1000)).long(),
// with the product in float32 as torch computes it. Its cond_fn receives the *original*
// timestep (e.g. 747.0) and maps it back with this, which does not always recover the
// respaced index (respacing "150": 13 · 0.15 = 1.95 → 1 at index 2). The engine passes the
// respaced index directly; this exists to reproduce and test that quirk.
torch::Tensor unscale_timestep(const torch::Tensor& t, int64_t num_timesteps);

}  // namespace bd::diffusion
