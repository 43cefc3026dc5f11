#pragma once
// diffusers' DPMSolverMultistepScheduler as a pipeline gets it when a user swaps it in
// (DPMSolverMultistepScheduler.from_config of a Stable Diffusion scheduler config):
// DPM-Solver++ of order 2, midpoint rule, "linspace" timesteps, final σ zero, first order
// at the first step and at the last (lower_order_final). Float32 like the library.
#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "diffusion/latent_scheduler.h"

namespace bd::diffusion {

class DpmSolverScheduler final : public LatentScheduler {
 public:
  // Throws bd::Error(InvalidInput) for an unknown schedule or a step count outside
  // [1, num_train_timesteps].
  DpmSolverScheduler(const LatentScheduleConfig& config, int64_t inference_steps);

  const std::vector<int64_t>& timesteps() const override { return timesteps_; }
  const torch::Tensor& sigmas() const { return sigmas_; }  // float32 [steps + 1], the last 0
  // Remembers the converted output (x̂₀) for the next step's second-order update. A run
  // that starts at index k > 0 (the skipped steps of Blended Latent Diffusion) begins
  // with a first-order step, as the library's does.
  torch::Tensor step_at(std::size_t index, const torch::Tensor& model_output, const torch::Tensor& x) override;
  torch::Tensor pred_original(const torch::Tensor& model_output, int64_t t, const torch::Tensor& x) const override;
  torch::Tensor add_noise(const torch::Tensor& x0, const torch::Tensor& noise, int64_t t) const override;

 private:
  std::size_t index_of(int64_t t) const;  // throws when t is not an inference timestep
  torch::Tensor x0_from(const torch::Tensor& model_output, std::size_t index, const torch::Tensor& x) const;

  LatentScheduleConfig config_;
  std::vector<int64_t> timesteps_;
  torch::Tensor sigmas_;
  torch::Tensor previous_x0_;   // the last step's x̂₀; undefined before the first step
  std::size_t previous_index_ = 0;
};

}  // namespace bd::diffusion
