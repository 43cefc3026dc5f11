#pragma once
// Trains the ToyWorld latent pack's AutoencoderKL on freshly generated scenes: L1
// reconstruction of a posterior sample plus a small KL term (the latents stay near a
// Gaussian, so the diffusion model's noise schedule fits them), AdamW.
#include <torch/optim/adamw.h>

#include <cstdint>
#include <memory>

#include "io/tensor_file.h"
#include "nn/vae.h"

namespace bd::toyworld {

struct VAETrainConfig {
  nn::AutoencoderKLConfig model;
  int image_size = 64;
  int64_t batch = 16;
  double lr = 1e-3;
  int64_t warmup_steps = 100;
  double kl_weight = 1e-4;  // on the KL per latent element
};

struct VAEStepStats {
  double loss = 0, l1 = 0, kl = 0;
};

class VAETrainer {
 public:
  VAETrainer(const VAETrainConfig& config, std::uint64_t seed);

  VAEStepStats step();  // deterministic given (seed, steps_done())
  int64_t steps_done() const { return step_; }
  nn::AutoencoderKL& model() { return model_; }
  const VAETrainConfig& config() const { return config_; }

  std::vector<io::NamedTensor> state_tensors();  // "vae." weights, "vae_adam." moments
  void load_state(const io::TensorFile& file, int64_t step);

 private:
  VAETrainConfig config_;
  std::uint64_t seed_;
  int64_t step_ = 0;
  nn::AutoencoderKL model_{nullptr};
  std::unique_ptr<torch::optim::AdamW> optimizer_;
};

// Held-out scenes (seeds below kTrainingSeedBit): PSNR in dB of decode(posterior mean)
// against the scene, over [0, 255] pixels rounded as an exported image would be.
double reconstruction_psnr(nn::AutoencoderKL& vae, int image_size, int scenes);

// 1 / std of posterior samples over `scenes` training-stream scenes: the factor that
// brings the latents to unit variance (Stable Diffusion's 0.18215 plays this role).
double latent_scaling_factor(nn::AutoencoderKL& vae, std::uint64_t seed, int image_size,
                             int scenes);

}  // namespace bd::toyworld
