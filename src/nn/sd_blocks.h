#pragma once
// The diffusers building blocks Stable Diffusion's UNet and VAE share (diffusers
// models/resnet.py, attention_processor.py, attention.py, transformers/transformer_2d.py),
// registered under diffusers' attribute names so its state dicts load by name.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

namespace bd::nn {

// softmax(q·kᵀ/√d + mask)·v per head. q: [B, N, heads·d], k and v: [B, M, heads·d],
// mask: additive [N, M] (the same for every image and head, e.g. causal) or undefined.
// Returns [B, N, heads·d]. The scores and the softmax are computed in float32 whatever the
// input dtype (diffusers' upcast_attention / upcast_softmax; a no-op in float32).
// Image-head slices are processed in groups holding at most `max_scores` float32 scores at
// a time: all heads of a 64×64 latent's self-attention at once would take
// 8·4096²·4 B = 512 MB per image.
torch::Tensor multi_head_attention(const torch::Tensor& q, const torch::Tensor& k,
                                   const torch::Tensor& v, int64_t heads,
                                   const torch::Tensor& mask = {},
                                   int64_t max_scores = int64_t{1} << 26);

struct ResnetBlock2DOptions {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t temb_channels = 0;  // 0: no time embedding (the VAE's blocks)
  int64_t groups = 32;
  double eps = 1e-5;
  double output_scale_factor = 1.0;
};

// diffusers ResnetBlock2D (time_embedding_norm "default", SiLU, conv shortcut 1×1 when the
// channel count changes). Dropout is inference-off and has no weights.
class ResnetBlock2DImpl : public torch::nn::Module {
 public:
  explicit ResnetBlock2DImpl(const ResnetBlock2DOptions& options);
  // x: [B, in, H, W], temb: [B, temb_channels] (undefined without) -> [B, out, H, W]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& temb = {});

 private:
  double output_scale_factor_;
  torch::nn::GroupNorm norm1_{nullptr}, norm2_{nullptr};
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::Linear time_emb_proj_{nullptr};  // null in the VAE
  torch::nn::Conv2d conv_shortcut_{nullptr};  // null: identity
};
TORCH_MODULE(ResnetBlock2D);

// diffusers Downsample2D(use_conv=True): 3×3 stride-2 conv under the key "conv". With
// padding 0 (the VAE encoder) the input is first padded by (0, 1, 0, 1): right and bottom.
class Downsample2DImpl : public torch::nn::Module {
 public:
  Downsample2DImpl(int64_t channels, int64_t padding);
  torch::Tensor forward(const torch::Tensor& x);  // [B, C, H, W] -> [B, C, ⌈H/2⌉, ⌈W/2⌉]

 private:
  int64_t padding_;
  torch::nn::Conv2d conv_{nullptr};
};
TORCH_MODULE(Downsample2D);

// diffusers Upsample2D(use_conv=True): nearest-neighbour resize, then a 3×3 conv ("conv").
class Upsample2DImpl : public torch::nn::Module {
 public:
  explicit Upsample2DImpl(int64_t channels);
  // x: [B, C, H, W] -> [B, C, size] where size is the skip connection's H, W (2H, 2W
  // unless the input side was odd).
  torch::Tensor forward(const torch::Tensor& x, c10::IntArrayRef size);

 private:
  torch::nn::Conv2d conv_{nullptr};
};
TORCH_MODULE(Upsample2D);

struct AttentionOptions {
  int64_t query_dim = 0;
  int64_t cross_attention_dim = 0;  // 0: self-attention (keys from the query's input)
  int64_t heads = 8;
  int64_t dim_head = 64;
  bool bias = false;  // on to_q/to_k/to_v; to_out.0 always has one
  // The VAE's mid-block attention: a GroupNorm ("group_norm") before, the input added back.
  int64_t norm_groups = 0;  // 0: no group_norm
  double norm_eps = 1e-6;
};

// diffusers Attention with the default processor: to_q, to_k, to_v, to_out.0 (to_out.1 is
// Dropout).
class AttentionImpl : public torch::nn::Module {
 public:
  explicit AttentionImpl(const AttentionOptions& options);
  // x: [B, N, query_dim], context: [B, M, cross_attention_dim] or undefined -> [B, N, query_dim]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context = {});
  // The VAE form (group_norm, residual): x: [B, C, H, W] -> [B, C, H, W]
  torch::Tensor forward_spatial(const torch::Tensor& x);

 private:
  AttentionOptions options_;
  torch::nn::GroupNorm group_norm_{nullptr};
  torch::nn::Linear to_q_{nullptr}, to_k_{nullptr}, to_v_{nullptr};
  torch::nn::ModuleList to_out_{nullptr};  // to_out.0 Linear, to_out.1 Dropout
};
TORCH_MODULE(Attention);

// diffusers GEGLU: proj to 2·inner, the first half gated by GELU (erf form) of the second.
class GEGLUImpl : public torch::nn::Module {
 public:
  GEGLUImpl(int64_t dim, int64_t inner);
  torch::Tensor forward(const torch::Tensor& x);  // [..., dim] -> [..., inner]

 private:
  torch::nn::Linear proj_{nullptr};
};
TORCH_MODULE(GEGLU);

// diffusers FeedForward(activation "geglu"): net.0 GEGLU, net.1 Dropout, net.2 Linear.
class FeedForwardImpl : public torch::nn::Module {
 public:
  FeedForwardImpl(int64_t dim, int64_t inner);
  torch::Tensor forward(const torch::Tensor& x);  // [..., dim] -> [..., dim]

 private:
  torch::nn::ModuleList net_{nullptr};
  GEGLU geglu_{nullptr};
  torch::nn::Linear out_{nullptr};
};
TORCH_MODULE(FeedForward);

// diffusers BasicTransformerBlock (norm_type "layer_norm"): self-attention, cross-attention
// on the text embedding, GEGLU feed-forward of width 4·dim, each pre-normed and residual.
class BasicTransformerBlockImpl : public torch::nn::Module {
 public:
  BasicTransformerBlockImpl(int64_t dim, int64_t heads, int64_t dim_head,
                            int64_t cross_attention_dim);
  // x: [B, N, dim], context: [B, M, cross_attention_dim] -> [B, N, dim]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context);

 private:
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr}, norm3_{nullptr};
  Attention attn1_{nullptr}, attn2_{nullptr};
  FeedForward ff_{nullptr};
};
TORCH_MODULE(BasicTransformerBlock);

struct Transformer2DOptions {
  int64_t in_channels = 0;
  int64_t heads = 8;
  int64_t dim_head = 40;  // heads·dim_head is the inner width
  int64_t num_layers = 1;
  int64_t cross_attention_dim = 768;
  int64_t norm_groups = 32;
  // SD 2.x: proj_in/proj_out are Linear on [B, H·W, C]; SD 1.x: 1×1 convs on [B, C, H, W].
  bool use_linear_projection = false;
};

// diffusers Transformer2DModel for continuous (latent image) input: GroupNorm (eps 1e-6),
// proj_in, transformer_blocks, proj_out, plus the input.
class Transformer2DModelImpl : public torch::nn::Module {
 public:
  explicit Transformer2DModelImpl(const Transformer2DOptions& options);
  // x: [B, C, H, W], context: [B, M, cross_attention_dim] -> [B, C, H, W]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context);

 private:
  Transformer2DOptions options_;
  torch::nn::GroupNorm norm_{nullptr};
  torch::nn::Linear proj_in_linear_{nullptr}, proj_out_linear_{nullptr};
  torch::nn::Conv2d proj_in_conv_{nullptr}, proj_out_conv_{nullptr};
  torch::nn::ModuleList transformer_blocks_{nullptr};
};
TORCH_MODULE(Transformer2DModel);

}  // namespace bd::nn
