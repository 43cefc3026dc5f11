#pragma once
// Stable Diffusion's autoencoder: diffusers AutoencoderKL (models/autoencoders/
// autoencoder_kl.py, vae.py), parameters named exactly as diffusers' state dict keys
// (vae/diffusion_pytorch_model.safetensors).
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <optional>
#include <string>
#include <vector>

#include "nn/sd_unet_blocks.h"

namespace bd::nn {

// The config.json fields that shape the network, under diffusers' names. Defaults are
// Stable Diffusion 1.5's (and 2.x's) vae/config.json.
struct AutoencoderKLConfig {
  int64_t in_channels = 3;
  int64_t out_channels = 3;
  int64_t latent_channels = 4;
  std::vector<std::string> down_block_types = {"DownEncoderBlock2D", "DownEncoderBlock2D",
                                               "DownEncoderBlock2D", "DownEncoderBlock2D"};
  std::vector<std::string> up_block_types = {"UpDecoderBlock2D", "UpDecoderBlock2D",
                                             "UpDecoderBlock2D", "UpDecoderBlock2D"};
  std::vector<int64_t> block_out_channels = {128, 256, 512, 512};
  int64_t layers_per_block = 2;
  int64_t norm_num_groups = 32;
  int64_t sample_size = 512;  // image side the model was trained at (informative)
  // Latents the UNet sees are scaling_factor · z (the pipelines apply it, not the VAE).
  double scaling_factor = 0.18215;
  bool use_quant_conv = true;
  bool use_post_quant_conv = true;
  bool mid_block_add_attention = true;

  size_t levels() const { return block_out_channels.size(); }
  // Throws bd::Error(ModelFiles) naming the first inconsistent field.
  void validate() const;
  bool operator==(const AutoencoderKLConfig& o) const;
  std::string to_string() const;
};

// diffusers UNetMidBlock2D as the VAE uses it: resnets.0, then (attentions.i, resnets.i+1);
// single-head self-attention over all positions (heads = 1, width = channels).
class VAEMidBlockImpl : public torch::nn::Module {
 public:
  VAEMidBlockImpl(int64_t channels, int64_t groups, bool add_attention);
  torch::Tensor forward(torch::Tensor x);  // [B, C, H, W] -> [B, C, H, W]

 private:
  torch::nn::ModuleList resnets_{nullptr}, attentions_{nullptr};
};
TORCH_MODULE(VAEMidBlock);

// diffusers UpDecoderBlock2D: resnets (no skips, no time embedding), upsamplers.0.
class UpDecoderBlock2DImpl : public torch::nn::Module {
 public:
  UpDecoderBlock2DImpl(int64_t in_channels, int64_t out_channels, int64_t num_layers,
                       int64_t groups, bool add_upsample);
  torch::Tensor forward(torch::Tensor x);  // [B, in, H, W] -> [B, out, 2H, 2W] (or H, W)

 private:
  torch::nn::ModuleList resnets_{nullptr}, upsamplers_{nullptr};
};
TORCH_MODULE(UpDecoderBlock2D);

// diffusers Encoder (double_z): image [B, in, H, W] -> moments [B, 2·latent, H/f, W/f].
class VAEEncoderImpl : public torch::nn::Module {
 public:
  explicit VAEEncoderImpl(const AutoencoderKLConfig& config);
  torch::Tensor forward(const torch::Tensor& x, torch::Tensor* mid_out = nullptr);

 private:
  torch::nn::Conv2d conv_in_{nullptr}, conv_out_{nullptr};
  torch::nn::ModuleList down_blocks_{nullptr};
  VAEMidBlock mid_block_{nullptr};
  torch::nn::GroupNorm conv_norm_out_{nullptr};  // conv_act (SiLU) has no weights
};
TORCH_MODULE(VAEEncoder);

// diffusers Decoder: latents [B, latent, h, w] -> image [B, out, h·f, w·f].
class VAEDecoderImpl : public torch::nn::Module {
 public:
  explicit VAEDecoderImpl(const AutoencoderKLConfig& config);
  torch::Tensor forward(const torch::Tensor& z, torch::Tensor* mid_out = nullptr);

 private:
  torch::nn::Conv2d conv_in_{nullptr}, conv_out_{nullptr};
  VAEMidBlock mid_block_{nullptr};
  torch::nn::ModuleList up_blocks_{nullptr};
  torch::nn::GroupNorm conv_norm_out_{nullptr};
};
TORCH_MODULE(VAEDecoder);

// diffusers DiagonalGaussianDistribution over the latents.
struct DiagonalGaussian {
  torch::Tensor mean;    // [B, latent, h, w]
  torch::Tensor logvar;  // clamped to [-30, 20]
  torch::Tensor std;     // exp(logvar / 2)
  // latent_dist.sample(): mean + std · noise, noise ~ N(0, 1) of mean's shape, drawn by the
  // caller (so the seed and the generator stay the caller's).
  torch::Tensor sample(const torch::Tensor& noise) const;
};

// Intermediate values the fidelity tests compare.
struct AutoencoderKLTrace {
  torch::Tensor encoder_out;  // [B, 2·latent, h, w] before quant_conv
  torch::Tensor moments;      // after quant_conv: mean and (unclamped) logvar
  torch::Tensor encoder_mid_out;
  torch::Tensor decoder_mid_out;
};

class AutoencoderKLImpl : public torch::nn::Module {
 public:
  explicit AutoencoderKLImpl(const AutoencoderKLConfig& config = {});

  // x: [B, in, H, W] in [-1, 1], H and W multiples of 2^(levels-1) -> the posterior over
  // the (unscaled) latents [B, latent, H/f, W/f].
  DiagonalGaussian encode(const torch::Tensor& x, AutoencoderKLTrace* trace = nullptr);
  // z: [B, latent, h, w] unscaled latents -> [B, out, h·f, w·f], about [-1, 1].
  torch::Tensor decode(const torch::Tensor& z, AutoencoderKLTrace* trace = nullptr);

  // Spatial factor f = 2^(levels-1): 8 for Stable Diffusion.
  int64_t downscale_factor() const;
  const AutoencoderKLConfig& config() const { return config_; }

 private:
  AutoencoderKLConfig config_;
  VAEEncoder encoder_{nullptr};
  VAEDecoder decoder_{nullptr};
  torch::nn::Conv2d quant_conv_{nullptr}, post_quant_conv_{nullptr};  // null when disabled
};
TORCH_MODULE(AutoencoderKL);

// Older diffusers files (before the attention refactor) name the mid-block attention
// "query", "key", "value", "proj_attn"; this maps them to to_q, to_k, to_v, to_out.0 and
// leaves every other name alone.
std::optional<std::string> vae_key_from_legacy(const std::string& name);

}  // namespace bd::nn
