#include "diffusion/dpm_solver.h"

#include <torch/torch.h>

#include <cmath>

#include "bd/error.h"

namespace bd::diffusion {

namespace {

// σ → (α_t, σ_t) of the variance-preserving process: α = 1/√(σ² + 1), σ_t = σ·α.
std::pair<torch::Tensor, torch::Tensor> alpha_sigma(const torch::Tensor& sigma) {
  const torch::Tensor alpha = 1.0 / (sigma.pow(2) + 1).sqrt();
  return {alpha, sigma * alpha};
}

torch::Tensor lambda_of(const std::pair<torch::Tensor, torch::Tensor>& as) {
  return torch::log(as.first) - torch::log(as.second);  // +inf at σ = 0, as in the library
}

}  // namespace

DpmSolverScheduler::DpmSolverScheduler(const LatentScheduleConfig& config, int64_t inference_steps)
    : config_(config) {
  const torch::Tensor alphas_cumprod = latent_alphas_cumprod(config);
  const int64_t n = config.num_train_timesteps;
  if (inference_steps < 1 || inference_steps > n)
    throw Error(ErrorKind::InvalidInput, "inference steps must be in [1, " + std::to_string(n) + "], got " +
                                             std::to_string(inference_steps));
  // "linspace": inference_steps + 1 points over [0, n − 1], rounded, noisiest first, the
  // last (0) dropped. numpy rounds halves to even, as std::nearbyint does.
  std::vector<float> sigma_values;
  const torch::Tensor train_sigmas = ((1 - alphas_cumprod) / alphas_cumprod).pow(0.5).contiguous();
  for (int64_t k = inference_steps; k >= 1; --k) {
    const double point = static_cast<double>(n - 1) * static_cast<double>(k) / static_cast<double>(inference_steps);
    const auto t = static_cast<int64_t>(std::nearbyint(point));
    timesteps_.push_back(t);
    sigma_values.push_back(train_sigmas.data_ptr<float>()[t]);
  }
  sigma_values.push_back(0.0f);  // final_sigmas_type "zero"
  sigmas_ = torch::tensor(sigma_values, torch::kFloat32);
}

std::size_t DpmSolverScheduler::index_of(int64_t t) const {
  for (std::size_t i = 0; i < timesteps_.size(); ++i)
    if (timesteps_[i] == t) return i;
  throw Error(ErrorKind::InvalidInput, "timestep " + std::to_string(t) + " is not one of the scheduler's");
}

torch::Tensor DpmSolverScheduler::x0_from(const torch::Tensor& model_output, std::size_t index,
                                          const torch::Tensor& x) const {
  const auto [alpha, sigma] = alpha_sigma(sigmas_[static_cast<int64_t>(index)].to(x.device()));
  if (config_.prediction == Prediction::VPrediction) return alpha * x - sigma * model_output;
  return (x - sigma * model_output) / alpha;
}

torch::Tensor DpmSolverScheduler::pred_original(const torch::Tensor& model_output, int64_t t,
                                                const torch::Tensor& x) const {
  return x0_from(model_output, index_of(t), x);
}

torch::Tensor DpmSolverScheduler::step_at(std::size_t index, const torch::Tensor& model_output,
                                          const torch::Tensor& x) {
  if (index >= timesteps_.size())
    throw Error(ErrorKind::InvalidInput, "step " + std::to_string(index) + " is past the scheduler's " +
                                             std::to_string(timesteps_.size()));
  const auto i = static_cast<int64_t>(index);
  const std::size_t count = timesteps_.size();
  const torch::Tensor x0 = x0_from(model_output, index, x);
  const torch::Tensor s = sigmas_.to(x.device());
  const auto at = alpha_sigma(s[i + 1]);
  const auto s0 = alpha_sigma(s[i]);
  const torch::Tensor h = lambda_of(at) - lambda_of(s0);
  const torch::Tensor decay = at.first * (torch::exp(-h) - 1.0);
  const torch::Tensor ratio = at.second / s0.second;
  // First order at the first step (no earlier output) and at the last (final σ zero).
  // The library's "lower order second" rule asks for order 2 there, which order 2 is.
  const bool first_order = !previous_x0_.defined() || previous_index_ + 1 != index || index + 1 == count;
  torch::Tensor out;
  if (first_order) {
    out = ratio * x - decay * x0;
  } else {
    const auto s1 = alpha_sigma(s[i - 1]);
    const torch::Tensor r0 = (lambda_of(s0) - lambda_of(s1)) / h;
    const torch::Tensor d1 = (1.0 / r0) * (x0 - previous_x0_);
    out = ratio * x - decay * x0 - 0.5 * decay * d1;
  }
  previous_x0_ = x0;
  previous_index_ = index;
  return out;
}

torch::Tensor DpmSolverScheduler::add_noise(const torch::Tensor& x0, const torch::Tensor& noise, int64_t t) const {
  const auto [alpha, sigma] = alpha_sigma(sigmas_[static_cast<int64_t>(index_of(t))].to(x0.device()));
  return alpha * x0 + sigma * noise;
}

}  // namespace bd::diffusion
