#pragma once
// The sampling loop of Blended Diffusion (reference-spec §2.4–2.7): start from the
// noised original, and at every step run the UNet once with autograd on x, steer the
// mean (DDPM) or the score (DDIM) with the CLIP/range loss gradient, draw, and blend
// the background back from the original noised to the step's level.
#include <torch/types.h>

#include <optional>

#include "diffusion/gaussian_diffusion.h"
#include "editing/augment.h"
#include "editing/noise.h"
#include "nn/clip.h"
#include "nn/lpips.h"
#include "nn/unet.h"

namespace bd::editing {

struct SamplerSettings {
  bool ddim = false;
  int64_t skip_timesteps = 25;
  bool blend_background = true;  // false: the local CLIP-guided diffusion baseline
  double clip_lambda = 1000.0;
  double range_lambda = 50.0;
  double l2_lambda = 0.0;        // background preservation (used by the baseline)
  double lpips_lambda = 0.0;     // the baseline's LPIPS term; needs `lpips`
  nn::Lpips lpips{nullptr};
  // The reference shares one background draw [1, …] across the batch; otherwise every
  // candidate gets its own, so it can be reproduced alone from its seed.
  bool shared_background_noise = false;
  // The reference's cond_fn re-runs the UNet at unscale_timestep(t), which differs from
  // t for some respacings ("150"); reproduce that instead of reusing the forward.
  bool reference_unscale = false;
};

struct StepOutput {
  torch::Tensor sample;       // x after the step and the background blend   [B, 3, S, S]
  torch::Tensor pred_xstart;  // DDPM: unguided x̂₀; DDIM: guided x̂₀          [B, 3, S, S]
  // The step's guidance terms (before λ), for tests and logs: detached tensors, read on
  // the host only by whoever wants them (a read waits for the GPU).
  torch::Tensor clip_loss;
  torch::Tensor range_loss;
  torch::Tensor clip_distances;  // [views·B] or undefined
};

class BlendedSampler {
 public:
  // clip may be null (no prompt): the loop is then pure blended inpainting.
  BlendedSampler(nn::UNet unet, const diffusion::GaussianDiffusion& diffusion,
                 std::optional<nn::Clip> clip, torch::Tensor text_embed,
                 ClipAugmenter* augmenter, SamplerSettings settings);

  // The respaced index of the first step: num_timesteps − 1 − skip.
  int64_t first_index() const;
  int64_t steps() const { return first_index() + 1; }

  // x_T = q_sample(init tiled to `batch`, first index, one [B, …] draw).
  torch::Tensor start(const torch::Tensor& init, int64_t batch, NoiseSource& noise) const;

  // One step at respaced `index` from x. init: [1, 3, S, S]; mask: [1, 1, S, S].
  StepOutput step(const torch::Tensor& x, int64_t index, const torch::Tensor& init,
                  const torch::Tensor& mask, NoiseSource& noise);

  bool guided() const;
  bool lpips_term() const;

 private:
  // −∇ₓ loss at x for the network output `model_out` (its graph reaches x).
  torch::Tensor guidance_gradient(const torch::Tensor& x, const torch::Tensor& model_out,
                                  const torch::Tensor& t, const torch::Tensor& init,
                                  const torch::Tensor& mask, StepOutput* stats);

  nn::UNet unet_;
  const diffusion::GaussianDiffusion& diffusion_;
  std::optional<nn::Clip> clip_;
  torch::Tensor text_embed_;
  ClipAugmenter* augmenter_;
  SamplerSettings settings_;
};

}  // namespace bd::editing
