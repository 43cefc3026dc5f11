#pragma once
// diffusers' DDIMScheduler with η = 0, as Blended Latent Diffusion runs it on Stable
// Diffusion's latents (scripts/text_editing_SD2.py): "scaled_linear" β from 0.00085 to
// 0.012 over 1000 training steps, clip_sample off, set_alpha_to_one off, "leading"
// timestep spacing. Arithmetic in float32 like the library's, so steps agree with it
// to float rounding.
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "diffusion/latent_scheduler.h"

namespace bd::diffusion {

class DdimScheduler final : public LatentScheduler {
 public:
  // Throws bd::Error(InvalidInput) for an unknown schedule or a step count outside
  // [1, num_train_timesteps].
  DdimScheduler(const LatentScheduleConfig& config, int64_t inference_steps);

  // The inference timesteps, first (noisiest) to last.
  const std::vector<int64_t>& timesteps() const override { return timesteps_; }
  const torch::Tensor& alphas_cumprod() const { return alphas_cumprod_; }  // float32 [T]

  // x_{t−Δ} from x_t and the network's output at t (ε or v).
  torch::Tensor step(const torch::Tensor& model_output, int64_t t, const torch::Tensor& x) const;
  torch::Tensor step_at(std::size_t index, const torch::Tensor& model_output, const torch::Tensor& x) override {
    return step(model_output, timesteps_.at(index), x);
  }
  // x̂₀ from x_t and the network's output: what a preview shows.
  torch::Tensor pred_original(const torch::Tensor& model_output, int64_t t, const torch::Tensor& x) const override;
  // √ᾱ_t·x₀ + √(1−ᾱ_t)·noise.
  torch::Tensor add_noise(const torch::Tensor& x0, const torch::Tensor& noise, int64_t t) const override;

 private:
  torch::Tensor alpha_at(int64_t t) const;  // ᾱ_t as a float32 scalar; t < 0: the final ᾱ

  LatentScheduleConfig config_;
  int64_t step_ratio_ = 1;
  torch::Tensor alphas_cumprod_;
  std::vector<int64_t> timesteps_;
};

}  // namespace bd::diffusion
