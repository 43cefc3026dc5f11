#include "diffusion/latent_scheduler.h"

#include <torch/torch.h>

#include "bd/error.h"
#include "diffusion/ddim_scheduler.h"
#include "diffusion/dpm_solver.h"

namespace bd::diffusion {

torch::Tensor latent_alphas_cumprod(const LatentScheduleConfig& config) {
  const int64_t n = config.num_train_timesteps;
  if (n < 1) throw Error(ErrorKind::InvalidInput, "the scheduler needs at least one training step");
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  torch::Tensor betas;
  if (config.beta_schedule == "scaled_linear") {
    betas = torch::linspace(std::sqrt(config.beta_start), std::sqrt(config.beta_end), n, f32).pow(2);
  } else if (config.beta_schedule == "linear") {
    betas = torch::linspace(config.beta_start, config.beta_end, n, f32);
  } else {
    throw Error(ErrorKind::InvalidInput, "unknown beta schedule '" + config.beta_schedule +
                                             "' (known: scaled_linear, linear)");
  }
  return torch::cumprod(1.0 - betas, 0);
}

std::unique_ptr<LatentScheduler> make_latent_scheduler(const std::string& name, const LatentScheduleConfig& config,
                                                       int64_t inference_steps) {
  if (name == kDdimName) return std::make_unique<DdimScheduler>(config, inference_steps);
  if (name == kDpmSolverName) return std::make_unique<DpmSolverScheduler>(config, inference_steps);
  throw Error(ErrorKind::InvalidInput, "unknown scheduler '" + name + "' (known: " + kDdimName + ", " +
                                           kDpmSolverName + ")");
}

}  // namespace bd::diffusion
