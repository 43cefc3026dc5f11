#pragma once
// The level blocks of diffusers' UNet2DConditionModel (models/unets/unet_2d_blocks.py):
// CrossAttnDownBlock2D / DownBlock2D, UNetMidBlock2DCrossAttn, CrossAttnUpBlock2D /
// UpBlock2D. The VAE encoder's DownEncoderBlock2D is a DownBlock2D without time embedding.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include <vector>

#include "nn/sd_blocks.h"

namespace bd::nn {

struct SDBlockOptions {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t prev_output_channels = 0;  // up blocks: the channels coming from below
  int64_t temb_channels = 0;         // 0: none (the VAE)
  int64_t num_layers = 1;            // resnets (each followed by a transformer if any)
  int64_t groups = 32;
  double eps = 1e-5;
  double output_scale_factor = 1.0;
  bool cross_attention = false;  // the CrossAttn… variants
  // Transformer2DModel settings; in_channels and dim_head follow from out_channels.
  int64_t heads = 8;
  int64_t transformer_layers = 1;
  int64_t cross_attention_dim = 768;
  bool use_linear_projection = false;
  bool resample = false;  // add_downsample / add_upsample
  int64_t downsample_padding = 1;
};

// diffusers CrossAttnDownBlock2D (cross_attention) or DownBlock2D / DownEncoderBlock2D:
// resnets.N, attentions.N, downsamplers.0.
class SDDownBlockImpl : public torch::nn::Module {
 public:
  explicit SDDownBlockImpl(const SDBlockOptions& options);
  // x: [B, in, H, W], temb: [B, T] or undefined, context: [B, M, D] or undefined. Appends
  // each resnet's (or transformer's) output and the downsampled one to `skips` when given.
  // Returns [B, out, H', W'].
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& temb, const torch::Tensor& context,
                        std::vector<torch::Tensor>* skips = nullptr);

 private:
  torch::nn::ModuleList resnets_{nullptr}, attentions_{nullptr}, downsamplers_{nullptr};
};
TORCH_MODULE(SDDownBlock);

// diffusers UNetMidBlock2DCrossAttn: resnets.0, then (attentions.i, resnets.i+1) pairs.
class SDMidBlockCrossAttnImpl : public torch::nn::Module {
 public:
  explicit SDMidBlockCrossAttnImpl(const SDBlockOptions& options);
  // x: [B, C, H, W] -> [B, C, H, W]
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& temb, const torch::Tensor& context);

 private:
  torch::nn::ModuleList resnets_{nullptr}, attentions_{nullptr};
};
TORCH_MODULE(SDMidBlockCrossAttn);

// diffusers CrossAttnUpBlock2D (cross_attention) or UpBlock2D: each resnet takes the
// running features concatenated with the newest skip (taken off the back of `skips`).
class SDUpBlockImpl : public torch::nn::Module {
 public:
  explicit SDUpBlockImpl(const SDBlockOptions& options);
  // x: [B, prev_out, H, W] -> [B, out, H2, W2], H2×W2 the next skip's size when upsampling.
  torch::Tensor forward(torch::Tensor x, std::vector<torch::Tensor>& skips,
                        const torch::Tensor& temb, const torch::Tensor& context);
  int64_t num_layers() const { return static_cast<int64_t>(resnets_->size()); }

 private:
  torch::nn::ModuleList resnets_{nullptr}, attentions_{nullptr}, upsamplers_{nullptr};
};
TORCH_MODULE(SDUpBlock);

// The shared constructors of the blocks above.
ResnetBlock2D make_resnet(const SDBlockOptions& o, int64_t in_channels, int64_t out_channels);
Transformer2DModel make_transformer(const SDBlockOptions& o, int64_t channels);

}  // namespace bd::nn
