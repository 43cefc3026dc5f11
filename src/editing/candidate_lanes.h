#pragma once
// Runs the candidates of one batch as several lanes, each lane a smaller batch with its own
// noise and augmentation streams.
//
// On the CPU the lanes run side by side, one per worker of the engine's LanePool. Why: on a small pack (ToyWorld:
// 32² images, a 1.4 M-parameter UNet) a single op is too small to split across cores; with
// two intra-op threads an edit ran no faster than with one (fork/join and futex wake-ups
// ate the gain). Candidates are independent, so two lanes of two candidates use two cores
// fully.
//
// On a GPU the lanes are micro-batches run one after another, sized so that one fits the
// card's memory. When a lane's step runs out of GPU memory, its noise and augmentation
// streams are rewound to where the step began and the lane is split in two halves that
// redo the step: nothing already computed is lost, and each candidate draws exactly what
// it would have drawn in one batch.
//
// Each candidate's pixels depend on its seed alone (up to float rounding of a different
// batch size), so "re-run with this seed" still reproduces it. Callers see one batch:
// pred_xstart() is the lanes' results in candidate order, and callbacks stay on the
// calling thread.
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "editing/augment.h"
#include "editing/blended_sampler.h"
#include "editing/lane_pool.h"

namespace bd::editing {

struct LaneInputs {
  nn::UNet unet{nullptr};
  const diffusion::GaussianDiffusion* diffusion = nullptr;
  std::optional<nn::Clip> clip;  // none: no prompt
  torch::Tensor text_embed;
  AugmentSettings augment;
  SamplerSettings sampler;
  // Called before each lane's step with the lane's batch. Tests throw c10::OutOfMemoryError
  // from it to act as a card too small for that batch.
  std::function<void(int64_t lane_batch)> before_lane_step;
};

struct LaneLayout {
  int lanes = 1;              // clamped to [1, batch]
  bool parallel = true;       // CPU: lanes on threads; false (GPU): one after another
  int threads_per_lane = 1;   // parallel only: LibTorch intra-op threads per lane
};

class CandidateLanes {
 public:
  // seeds: one per candidate. shared_noise_seed: the reference's single noise stream for
  // the whole batch (then the batch stays one lane and cannot be split). A parallel
  // layout runs its lanes on `pool`'s workers, threads_per_lane intra-op threads each;
  // a sequential one on the calling thread (pool may then be null).
  CandidateLanes(const LaneInputs& inputs, const std::vector<std::uint64_t>& seeds,
                 std::optional<std::uint64_t> shared_noise_seed, LaneLayout layout, LanePool* pool);
  ~CandidateLanes();
  CandidateLanes(const CandidateLanes&) = delete;
  CandidateLanes& operator=(const CandidateLanes&) = delete;

  int64_t first_index() const;

  // x_T for every lane (see BlendedSampler::start).
  void start(const torch::Tensor& init);
  // One step at respaced `index` for every lane. Sequential lanes that run out of memory
  // are halved and the step retried (see above); a lane of one candidate that still does
  // not fit throws bd::Error(OutOfMemory).
  void step(int64_t index, const torch::Tensor& init, const torch::Tensor& mask);

  torch::Tensor pred_xstart() const;  // [B, 3, S, S], candidate order (after a step)

  // The largest lane's batch: on a GPU, the micro-batch that fits (after any halving).
  int64_t micro_batch() const;
  // One line per halving this batch needed ("out of GPU memory with 4 candidates at once
  // (...); now 2 at a time"), for the edit's warnings.
  const std::vector<std::string>& memory_notes() const { return memory_notes_; }

 private:
  struct Lane;
  std::unique_ptr<Lane> make_lane(std::unique_ptr<NoiseSource> noise, ClipAugmenter augmenter,
                                  int64_t batch) const;
  void for_each_lane_in_parallel(const std::function<void(Lane&)>& work);
  void step_lane(Lane& lane, int64_t index, const torch::Tensor& init, const torch::Tensor& mask);
  // Steps lanes_[k]; on out-of-memory replaces it by two halves that redo the step.
  // Returns how many lanes now stand where lanes_[k] stood.
  std::size_t step_or_split(std::size_t k, int64_t index, const torch::Tensor& init,
                            const torch::Tensor& mask);

  LaneInputs inputs_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  bool parallel_ = true;
  bool splittable_ = true;
  int threads_per_lane_ = 1;
  LanePool* pool_ = nullptr;
  std::vector<std::string> memory_notes_;
};

}  // namespace bd::editing
