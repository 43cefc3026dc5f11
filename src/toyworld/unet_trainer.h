#pragma once
// Trains the ToyWorld UNet: unconditional ε-prediction with learned-range variance on
// freshly generated scenes (hybrid loss, diffusion_loss.h), AdamW, EMA weights.
#include <torch/optim/adamw.h>

#include <cstdint>
#include <memory>

#include "diffusion/gaussian_diffusion.h"
#include "io/tensor_file.h"
#include "nn/unet.h"

namespace bd::toyworld {

struct UNetTrainConfig {
  nn::CreateModelArgs model;
  diffusion::DiffusionConfig diffusion;  // timestep_respacing "" for training
  int64_t batch = 32;
  double lr = 3e-4;
  int64_t warmup_steps = 200;
  double ema_rate = 0.999;
};

struct UNetStepStats {
  double loss = 0, mse = 0, vb = 0;
};

// Scenes [B, 3, S, S] in [-1, 1] from training seeds (run seed, stream, step).
torch::Tensor scene_batch(std::uint64_t run_seed, std::uint64_t stream, int64_t step, int64_t batch,
                          int size);

class UNetTrainer {
 public:
  UNetTrainer(const UNetTrainConfig& config, std::uint64_t seed);

  // One optimizer step on a fresh batch; deterministic given (seed, step()).
  UNetStepStats step();
  int64_t steps_done() const { return step_; }

  nn::UNet& ema() { return ema_; }
  nn::UNet& model() { return model_; }
  const UNetTrainConfig& config() const { return config_; }

  // "unet." weights, "unet_ema." weights, "unet_adam." moments.
  std::vector<io::NamedTensor> state_tensors();
  void load_state(const io::TensorFile& file, int64_t step);

 private:
  UNetTrainConfig config_;
  std::uint64_t seed_;
  int64_t step_ = 0;
  diffusion::GaussianDiffusion diffusion_;
  nn::UNet model_{nullptr}, ema_{nullptr};
  std::unique_ptr<torch::optim::AdamW> optimizer_;
};

}  // namespace bd::toyworld
