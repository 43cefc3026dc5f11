#include "diffusion/ddim_scheduler.h"

#include <torch/torch.h>

#include "bd/error.h"

namespace bd::diffusion {

DdimScheduler::DdimScheduler(const LatentScheduleConfig& config, int64_t inference_steps) : config_(config) {
  const int64_t n = config.num_train_timesteps;
  alphas_cumprod_ = latent_alphas_cumprod(config);
  if (inference_steps < 1 || inference_steps > n)
    throw Error(ErrorKind::InvalidInput, "inference steps must be in [1, " + std::to_string(n) + "], got " +
                                             std::to_string(inference_steps));
  // "leading" spacing: every step_ratio-th training step from 0, noisiest first.
  step_ratio_ = n / inference_steps;
  for (int64_t k = inference_steps - 1; k >= 0; --k) timesteps_.push_back(k * step_ratio_ + config.steps_offset);
  if (timesteps_.front() >= n)
    throw Error(ErrorKind::InvalidInput, "steps_offset " + std::to_string(config.steps_offset) +
                                             " puts the first timestep past the training steps");
}

torch::Tensor DdimScheduler::alpha_at(int64_t t) const {
  if (t >= 0) return alphas_cumprod_[t];
  return config_.set_alpha_to_one ? torch::ones({}, alphas_cumprod_.options()) : alphas_cumprod_[0];
}

torch::Tensor DdimScheduler::pred_original(const torch::Tensor& model_output, int64_t t, const torch::Tensor& x) const {
  const torch::Tensor a = alpha_at(t).to(x.device());
  if (config_.prediction == Prediction::VPrediction) return a.sqrt() * x - (1 - a).sqrt() * model_output;
  return (x - (1 - a).sqrt() * model_output) / a.sqrt();
}

torch::Tensor DdimScheduler::step(const torch::Tensor& model_output, int64_t t, const torch::Tensor& x) const {
  const torch::Tensor a = alpha_at(t).to(x.device());
  const torch::Tensor a_prev = alpha_at(t - step_ratio_).to(x.device());
  const torch::Tensor x0 = pred_original(model_output, t, x);
  const torch::Tensor eps = config_.prediction == Prediction::VPrediction
                                ? a.sqrt() * model_output + (1 - a).sqrt() * x
                                : model_output;
  // η = 0: no noise, the direction to x_t is all of √(1 − ᾱ_prev).
  return a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps;
}

torch::Tensor DdimScheduler::add_noise(const torch::Tensor& x0, const torch::Tensor& noise, int64_t t) const {
  const torch::Tensor a = alpha_at(t).to(x0.device());
  return a.sqrt() * x0 + (1 - a).sqrt() * noise;
}

}  // namespace bd::diffusion
