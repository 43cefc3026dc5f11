#pragma once
// The samplers of Blended Latent Diffusion, as diffusers builds them for Stable
// Diffusion's latents: the schedule they share, and one interface for the loop, so that
// DDIM (the reference's) and DPM-Solver++(2M) are interchangeable.
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bd::diffusion {

enum class Prediction { Epsilon, VPrediction };

struct LatentScheduleConfig {
  int64_t num_train_timesteps = 1000;
  double beta_start = 0.00085;
  double beta_end = 0.012;
  std::string beta_schedule = "scaled_linear";  // or "linear"
  // Off: the step after the last uses ᾱ_0 instead of 1 (the reference's choice).
  bool set_alpha_to_one = false;
  // Added to every inference timestep. The reference builds its scheduler with 0; the
  // Stable Diffusion folders' scheduler_config.json say 1.
  int64_t steps_offset = 0;
  Prediction prediction = Prediction::Epsilon;  // SD 2.x 768 predicts v
};

// ᾱ_t for t in [0, num_train_timesteps), float32, computed as diffusers does. Throws
// bd::Error(InvalidInput) for an unknown schedule or no training steps.
torch::Tensor latent_alphas_cumprod(const LatentScheduleConfig& config);

class LatentScheduler {
 public:
  virtual ~LatentScheduler() = default;
  // The inference timesteps, first (noisiest) to last.
  virtual const std::vector<int64_t>& timesteps() const = 0;
  // x at the step after timesteps()[index] from x there and the network's output (ε or v)
  // there. A multistep solver remembers earlier outputs: call it for consecutive indices.
  virtual torch::Tensor step_at(std::size_t index, const torch::Tensor& model_output, const torch::Tensor& x) = 0;
  // x̂₀ from x_t and the network's output at t: what a preview shows.
  virtual torch::Tensor pred_original(const torch::Tensor& model_output, int64_t t, const torch::Tensor& x) const = 0;
  // √ᾱ_t·x₀ + √(1−ᾱ_t)·noise: the blend's noised source.
  virtual torch::Tensor add_noise(const torch::Tensor& x0, const torch::Tensor& noise, int64_t t) const = 0;
};

// The names the "scheduler" edit parameter takes.
constexpr const char* kDdimName = "ddim";
constexpr const char* kDpmSolverName = "dpm++2m";

// A fresh scheduler (no remembered outputs) for one batch. Throws bd::Error(InvalidInput)
// naming an unknown scheduler or a bad step count.
std::unique_ptr<LatentScheduler> make_latent_scheduler(const std::string& name, const LatentScheduleConfig& config,
                                                       int64_t inference_steps);

}  // namespace bd::diffusion
