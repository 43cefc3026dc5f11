#pragma once
// Trains the ToyWorld latent pack's text-conditional UNet2DConditionModel: ε-prediction on
// scaled VAE latents of fresh scenes under Stable Diffusion's schedule (scaled_linear β
// 0.00085..0.012, 1000 steps), conditioned on the frozen text encoder's last_hidden_state.
// Captions are the scene's, or one object's phrase (what an edit prompt names), or empty
// (classifier-free guidance dropout). AdamW, EMA weights.
#include <torch/optim/adamw.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "io/tensor_file.h"
#include "nn/clip_text_hf.h"
#include "nn/sd_unet.h"
#include "nn/vae.h"
#include "text/clip_tokenizer.h"
#include "toyworld/scene.h"

namespace bd::toyworld {

struct LatentUNetTrainConfig {
  nn::UNet2DConditionConfig model;
  int image_size = 64;
  double scaling_factor = 1.0;  // the VAE's
  int context_length = 32;
  int64_t batch = 32;
  double lr = 2e-4;
  int64_t warmup_steps = 200;
  double ema_rate = 0.999;
  double empty_caption_share = 0.1;   // classifier-free guidance dropout
  double object_caption_share = 0.4;  // "a red circle" for one object of the scene
  double size_word_share = 0.3;       // object captions that name the size ("a small ...")
  // Training scenes are encoded once into a pool of posteriors (the frozen VAE's encoder
  // would otherwise cost about as much as the UNet's step); each step draws from it, with
  // fresh posterior samples, captions, timesteps and noise.
  int64_t pool_scenes = 16384;
};

// The caption a training scene is shown with (see LatentUNetTrainConfig); `u` are three
// uniform draws in [0, 1): caption kind, which object, whether its size is named.
std::string latent_training_caption(const Scene& scene, const LatentUNetTrainConfig& config,
                                    const std::array<double, 3>& u);

struct LatentUNetStepStats {
  double loss = 0;
};

class LatentUNetTrainer {
 public:
  // `vae` and `text_encoder` are frozen and only run forward.
  LatentUNetTrainer(const LatentUNetTrainConfig& config, nn::AutoencoderKL vae,
                    nn::CLIPTextModel text_encoder, text::ClipTokenizer tokenizer,
                    std::uint64_t seed);

  LatentUNetStepStats step();  // deterministic given (seed, steps_done())
  int64_t steps_done() const { return step_; }
  nn::UNet2DConditionModel& ema() { return ema_; }
  nn::UNet2DConditionModel& model() { return model_; }
  const LatentUNetTrainConfig& config() const { return config_; }

  // "latent_unet." weights, "latent_unet_ema." weights, "latent_unet_adam." moments.
  std::vector<io::NamedTensor> state_tensors();
  void load_state(const io::TensorFile& file, int64_t step);

 private:
  void encode_pool();

  LatentUNetTrainConfig config_;
  nn::AutoencoderKL vae_;
  nn::CLIPTextModel text_encoder_;
  text::ClipTokenizer tokenizer_;
  std::uint64_t seed_;
  int64_t step_ = 0;
  torch::Tensor alphas_cumprod_;
  torch::Tensor pool_mean_, pool_std_;  // [pool, latent, h, w], unscaled
  std::vector<Scene> pool_scenes_;      // their objects and captions (images dropped)
  nn::UNet2DConditionModel model_{nullptr}, ema_{nullptr};
  std::unique_ptr<torch::optim::AdamW> optimizer_;
};

}  // namespace bd::toyworld
