#pragma once
// Runs the candidates of one batch as several lanes side by side, each lane a smaller
// batch on its own thread with its own share of the CPU threads.
//
// Why: on a small pack (ToyWorld: 32² images, a 1.4 M-parameter UNet) a single op is too
// small to split across cores; with two intra-op threads an edit ran no faster than with
// one (fork/join and futex wake-ups ate the gain). Candidates are independent, so two
// lanes of two candidates use two cores fully. Each candidate keeps its own noise and
// augmentation streams, so its pixels still depend on its seed alone (up to float
// rounding of a different batch size), and "re-run with this seed" still reproduces it.
// Callers see one batch: pred_xstart() is the lanes' results in candidate order, and
// callbacks stay on the calling thread.
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "editing/augment.h"
#include "editing/blended_sampler.h"

namespace bd::editing {

struct LaneInputs {
  nn::UNet unet{nullptr};
  const diffusion::GaussianDiffusion* diffusion = nullptr;
  std::optional<nn::Clip> clip;  // none: no prompt
  torch::Tensor text_embed;
  AugmentSettings augment;
  SamplerSettings sampler;
};

class CandidateLanes {
 public:
  // seeds: one per candidate. shared_noise_seed: the reference's single noise stream for
  // the whole batch (then the batch stays one lane). lanes is clamped to [1, batch];
  // while the object lives, LibTorch runs threads_per_lane intra-op threads per lane
  // (the caller's own count is restored on destruction).
  CandidateLanes(const LaneInputs& inputs, const std::vector<std::uint64_t>& seeds,
                 std::optional<std::uint64_t> shared_noise_seed, int lanes, int threads_per_lane);
  ~CandidateLanes();
  CandidateLanes(const CandidateLanes&) = delete;
  CandidateLanes& operator=(const CandidateLanes&) = delete;

  int64_t first_index() const;

  // x_T for every lane (see BlendedSampler::start).
  void start(const torch::Tensor& init);
  // One step at respaced `index` for every lane, in parallel.
  void step(int64_t index, const torch::Tensor& init, const torch::Tensor& mask);

  torch::Tensor pred_xstart() const;  // [B, 3, S, S], candidate order (after a step)

 private:
  struct Lane;
  template <typename F>
  void for_each_lane(F&& work);

  std::vector<std::unique_ptr<Lane>> lanes_;
  int threads_per_lane_ = 1;
  int caller_threads_ = 1;
};

}  // namespace bd::editing
