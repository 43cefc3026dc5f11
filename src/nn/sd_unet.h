#pragma once
// Stable Diffusion's denoiser: diffusers UNet2DConditionModel (models/unets/
// unet_2d_condition.py) for the SD 1.x / 2.x configurations, parameters named exactly as
// diffusers' state dict keys (unet/diffusion_pytorch_model.safetensors).
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

#include "nn/sd_unet_blocks.h"

namespace bd::nn {

// The config.json fields that shape the network, under diffusers' names. Defaults are
// Stable Diffusion 1.5's unet/config.json.
struct UNet2DConditionConfig {
  int64_t sample_size = 64;  // latent side the model was trained at (informative)
  int64_t in_channels = 4;
  int64_t out_channels = 4;
  bool flip_sin_to_cos = true;
  double freq_shift = 0;
  std::vector<std::string> down_block_types = {"CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                                               "CrossAttnDownBlock2D", "DownBlock2D"};
  std::string mid_block_type = "UNetMidBlock2DCrossAttn";
  std::vector<std::string> up_block_types = {"UpBlock2D", "CrossAttnUpBlock2D",
                                             "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"};
  std::vector<int64_t> block_out_channels = {320, 640, 1280, 1280};
  std::vector<int64_t> layers_per_block = {2, 2, 2, 2};  // config.json: int or per level
  int64_t downsample_padding = 1;
  double mid_block_scale_factor = 1.0;
  double resnet_out_scale_factor = 1.0;
  int64_t norm_num_groups = 32;
  double norm_eps = 1e-5;
  int64_t cross_attention_dim = 768;  // 1024 in SD 2.x
  std::vector<int64_t> transformer_layers_per_block = {1, 1, 1, 1};
  // Despite its name diffusers uses this as the NUMBER of heads per level (SD 1.5: 8 heads
  // everywhere; SD 2.x: [5, 10, 20, 20], i.e. 64-wide heads).
  std::vector<int64_t> attention_head_dim = {8, 8, 8, 8};
  bool use_linear_projection = false;  // SD 2.x: true
  // Scores and softmax in float32; they always are here, so this changes nothing.
  bool upcast_attention = false;

  size_t levels() const { return block_out_channels.size(); }
  int64_t time_embed_dim() const { return 4 * block_out_channels.at(0); }
  // Throws bd::Error(ModelFiles) naming the first inconsistent field (list lengths, block
  // types, channels not divisible by the groups or heads).
  void validate() const;
  bool operator==(const UNet2DConditionConfig& o) const;
  std::string to_string() const;
};

// diffusers get_timestep_embedding: frequencies exp(-ln(max_period)·k/(half - freq_shift)),
// [sin, cos] (or [cos, sin] with flip_sin_to_cos), float32. t: [B] -> [B, dim]
torch::Tensor sd_timestep_embedding(const torch::Tensor& t, int64_t dim, bool flip_sin_to_cos,
                                    double freq_shift, double max_period = 10000.0);

// diffusers TimestepEmbedding: linear_1, SiLU, linear_2.
class TimestepEmbeddingImpl : public torch::nn::Module {
 public:
  TimestepEmbeddingImpl(int64_t in_channels, int64_t dim);
  torch::Tensor forward(const torch::Tensor& x);  // [B, in] -> [B, dim]

 private:
  torch::nn::Linear linear_1_{nullptr}, linear_2_{nullptr};
};
TORCH_MODULE(TimestepEmbedding);

// Intermediate values the fidelity tests compare.
struct UNet2DConditionTrace {
  torch::Tensor t_emb;              // [B, block_out_channels[0]] time_proj output
  torch::Tensor emb;                // [B, 4·block_out_channels[0]]
  std::vector<torch::Tensor> down;  // each down block's output
  torch::Tensor mid_out;            // [B, C_last, H/2^(L-1), W/2^(L-1)]
  std::vector<torch::Tensor> up;    // each up block's output
};

class UNet2DConditionModelImpl : public torch::nn::Module {
 public:
  explicit UNet2DConditionModelImpl(const UNet2DConditionConfig& config = {});

  // sample: [B, in, H, W] latents; timestep: 0-d, [1] or [B] (any number type, fractional
  // allowed); encoder_hidden_states: [B, M, cross_attention_dim] text embeddings.
  // Returns [B, out, H, W]: ε or v, as the checkpoint was trained (the scheduler's
  // prediction_type says which). H and W need not be multiples of 2^(levels-1).
  torch::Tensor forward(const torch::Tensor& sample, const torch::Tensor& timestep,
                        const torch::Tensor& encoder_hidden_states,
                        UNet2DConditionTrace* trace = nullptr);

  const UNet2DConditionConfig& config() const { return config_; }

 private:
  UNet2DConditionConfig config_;
  torch::nn::Conv2d conv_in_{nullptr};
  // time_proj (Timesteps) has no weights: sd_timestep_embedding.
  TimestepEmbedding time_embedding_{nullptr};
  torch::nn::ModuleList down_blocks_{nullptr};
  SDMidBlockCrossAttn mid_block_{nullptr};
  torch::nn::ModuleList up_blocks_{nullptr};
  torch::nn::GroupNorm conv_norm_out_{nullptr};  // conv_act (SiLU) has no weights
  torch::nn::Conv2d conv_out_{nullptr};
};
TORCH_MODULE(UNet2DConditionModel);

}  // namespace bd::nn
