#pragma once
// What one method of local editing does, behind the pipeline of "one edit, as data"
// (ARCHITECTURE.md): prepare → encode → sample → finish. Preparing the region and
// finishing the candidates (background, ranking, composite) are the pipeline's; a method
// adds its own conditioning to the encoded prompt and samples one batch. Blended
// Diffusion (pixels, CLIP-guided) is one; Blended Latent Diffusion (latents,
// classifier-free guidance) is the other. The pack chooses.
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bd/edit_params.h"
#include "editing/region.h"

namespace bd::editing {

// Stage 1's output: the region at model size, on the device.
struct PreparedEdit {
  PreparedRegion region;
  torch::Tensor image;  // [1, 3, S, S] in [-1, 1]
  torch::Tensor mask;   // [1, 1, S, S] in [0, 1]
};

// Stage 2's shared part: the prompt through the pack's CLIP text tower, which ranks
// candidates whatever the method.
struct EncodedPrompt {
  std::string text;
  torch::Tensor clip_embed;  // [1, E] float32
};

// One batch of candidates: a seed each.
struct BatchPlan {
  int iteration = 0;
  std::vector<std::uint64_t> seeds;
  // The reference's single noise stream for the whole batch (FidelityMode::Reference).
  std::optional<std::uint64_t> shared_noise_seed;
};

// How a method reports its steps. `pred_xstart` is only called when a preview is due, so
// a method hands it over lazily: [B, 3, S, S] in [-1, 1].
class StepObserver {
 public:
  virtual ~StepObserver() = default;
  virtual bool cancelled() const = 0;
  virtual void step_done(int64_t step_in_batch, int64_t steps_in_batch,
                         const std::function<torch::Tensor()>& pred_xstart) = 0;
};

class EditMethod {
 public:
  virtual ~EditMethod() = default;

  // The steps one batch takes with `params`; throws bd::Error(InvalidInput) naming the
  // parameter when they cannot run (e.g. more skipped steps than steps).
  virtual int64_t steps_per_batch(const EditParams& params) = 0;
  // Once per edit, after the shared encoding. Notes for the user go to `warnings`.
  virtual void encode(const EncodedPrompt& prompt, const EditParams& params, std::vector<std::string>& warnings) = 0;
  // One batch: the final x̂₀ [B, 3, S, S] in [-1, 1], or an undefined tensor when the
  // observer cancelled.
  virtual torch::Tensor sample(const PreparedEdit& edit, const EditParams& params, const BatchPlan& plan,
                               StepObserver& observer, std::vector<std::string>& warnings) = 0;
  // Whether the finished image gets the original background pasted outside the mask.
  virtual bool pastes_background(const EditParams& params) const = 0;
};

}  // namespace bd::editing
