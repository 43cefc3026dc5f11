#pragma once
// The building blocks of guided_diffusion's UNetModel (unet.py), registered under the
// checkpoint's key names. Blocks compute in their input's dtype (fp16 torso on CUDA);
// normalisation and the attention softmax run in float32 as in the reference.
#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <memory>
#include <vector>

#include "nn/layers.h"

namespace bd::nn {

// guided_diffusion nn.timestep_embedding: [cos(t·f_k), sin(t·f_k)], cos FIRST, with
// f_k = exp(-ln(max_period)·k/half); a zero column is appended for odd dim.
torch::Tensor timestep_embedding(const torch::Tensor& t, int64_t dim,
                                 double max_period = 10000.0);  // t: [B] -> [B, dim]

// A layer of a TimestepEmbedSequential: takes the time embedding or ignores it.
class EmbedLayer : public torch::nn::Module {
 public:
  // x: [B, C, H, W], emb: [B, E] float32
  virtual torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb) = 0;
};

// guided_diffusion TimestepEmbedSequential: children registered as "0", "1", "2".
class EmbedSequentialImpl : public torch::nn::Module {
 public:
  void push_back(std::shared_ptr<EmbedLayer> layer);
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& emb);
  size_t size() const { return layers_.size(); }

 private:
  std::vector<std::shared_ptr<EmbedLayer>> layers_;
};
TORCH_MODULE(EmbedSequential);

// The stem 3×3 conv (input_blocks.0.0) inside a TimestepEmbedSequential.
class ConvLayer : public EmbedLayer {
 public:
  ConvLayer(int64_t in_channels, int64_t out_channels);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb) override;

 private:
  torch::Tensor weight_, bias_;
};

// guided_diffusion Downsample(use_conv=True): 3×3 conv, stride 2 (key "op"); used when
// resblock_updown is false.
class Downsample : public EmbedLayer {
 public:
  explicit Downsample(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb) override;

 private:
  torch::nn::Conv2d op_{nullptr};
};

// guided_diffusion Upsample(use_conv=True): nearest ×2 then 3×3 conv (key "conv").
class Upsample : public EmbedLayer {
 public:
  explicit Upsample(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb) override;

 private:
  torch::nn::Conv2d conv_{nullptr};
};

enum class Resample { None, Up, Down };

struct ResBlockOptions {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t emb_channels = 0;
  double dropout = 0.0;
  bool use_scale_shift_norm = true;
  Resample resample = Resample::None;
};

// guided_diffusion ResBlock (use_conv=False: 1×1 skip when channels change).
class ResBlock : public EmbedLayer {
 public:
  explicit ResBlock(const ResBlockOptions& options);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb) override;

 private:
  ResBlockOptions options_;
  torch::nn::Sequential in_layers_{nullptr};   // in_layers.1 is SiLU
  torch::nn::Sequential emb_layers_{nullptr};  // emb_layers.0 is SiLU
  torch::nn::Sequential out_layers_{nullptr};  // out_layers.1 SiLU, .2 Dropout
  GroupNorm32 in_norm_{nullptr}, out_norm_{nullptr};
  torch::nn::Conv2d in_conv_{nullptr}, out_conv_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Conv2d skip_{nullptr};  // null: identity
};

// guided_diffusion AttentionBlock: GroupNorm, qkv 1×1 conv, multi-head self-attention
// over H·W positions, proj_out, residual. Legacy order splits qkv per head
// ([h0 q|h0 k|h0 v|h1 q|...]); the new order chunks q|k|v first.
class AttentionBlock : public EmbedLayer {
 public:
  AttentionBlock(int64_t channels, int64_t num_heads, bool new_order);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb) override;

 private:
  int64_t num_heads_;
  bool new_order_;
  GroupNorm32 norm_{nullptr};
  torch::nn::Conv1d qkv_{nullptr};
  torch::nn::Conv1d proj_out_{nullptr};
};

// qkv: [B, 3·heads·ch, T] -> [B, heads·ch, T]
torch::Tensor qkv_attention(const torch::Tensor& qkv, int64_t num_heads, bool new_order);

}  // namespace bd::nn
