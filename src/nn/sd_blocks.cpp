#include "nn/sd_blocks.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace bd::nn {

namespace {
namespace F = torch::nn::functional;

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1,
                       int64_t padding = -1) {
  if (padding < 0) padding = kernel / 2;
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding));
}

torch::nn::GroupNorm group_norm(int64_t groups, int64_t channels, double eps) {
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(groups, channels).eps(eps));
}

}  // namespace

torch::Tensor multi_head_attention(const torch::Tensor& q, const torch::Tensor& k,
                                   const torch::Tensor& v, int64_t heads, const torch::Tensor& mask,
                                   int64_t max_scores) {
  const int64_t b = q.size(0), n = q.size(1), m = k.size(1), width = q.size(2);
  const int64_t d = width / heads;
  auto split = [&](const torch::Tensor& t, int64_t len) {  // -> [B·heads, len, d]
    return t.reshape({b, len, heads, d}).transpose(1, 2).reshape({b * heads, len, d});
  };
  const torch::Tensor qh = split(q, n), kh = split(k, m), vh = split(v, m);
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  const int64_t step = std::max<int64_t>(1, max_scores / std::max<int64_t>(1, n * m));
  std::vector<torch::Tensor> parts;
  for (int64_t i = 0; i < b * heads; i += step) {
    const int64_t end = std::min(b * heads, i + step);
    torch::Tensor scores =  // [chunk, N, M]
        torch::matmul(qh.slice(0, i, end).to(torch::kFloat32),
                      kh.slice(0, i, end).to(torch::kFloat32).transpose(1, 2)) *
        scale;
    if (mask.defined()) scores = scores + mask;
    parts.push_back(torch::matmul(scores.softmax(-1).to(v.scalar_type()), vh.slice(0, i, end)));
  }
  const torch::Tensor out = parts.size() == 1 ? parts[0] : torch::cat(parts, 0);  // [B·heads, N, d]
  return out.reshape({b, heads, n, d}).transpose(1, 2).reshape({b, n, width});
}

ResnetBlock2DImpl::ResnetBlock2DImpl(const ResnetBlock2DOptions& o)
    : output_scale_factor_(o.output_scale_factor) {
  norm1_ = register_module("norm1", group_norm(o.groups, o.in_channels, o.eps));
  conv1_ = register_module("conv1", conv(o.in_channels, o.out_channels, 3));
  if (o.temb_channels > 0)
    time_emb_proj_ =
        register_module("time_emb_proj", torch::nn::Linear(o.temb_channels, o.out_channels));
  norm2_ = register_module("norm2", group_norm(o.groups, o.out_channels, o.eps));
  // "dropout" has no weights; conv2 follows it.
  conv2_ = register_module("conv2", conv(o.out_channels, o.out_channels, 3));
  if (o.in_channels != o.out_channels)
    conv_shortcut_ = register_module("conv_shortcut", conv(o.in_channels, o.out_channels, 1));
}

torch::Tensor ResnetBlock2DImpl::forward(const torch::Tensor& x, const torch::Tensor& temb) {
  torch::Tensor h = conv1_(torch::silu(norm1_(x)));  // [B, out, H, W]
  if (time_emb_proj_) {
    TORCH_CHECK(temb.defined(), "ResnetBlock2D: this block needs a time embedding");
    h = h + time_emb_proj_(torch::silu(temb)).unsqueeze(-1).unsqueeze(-1);  // + [B, out, 1, 1]
  }
  h = conv2_(torch::silu(norm2_(h)));
  const torch::Tensor skip = conv_shortcut_ ? conv_shortcut_(x) : x;
  return (skip + h) / output_scale_factor_;
}

Downsample2DImpl::Downsample2DImpl(int64_t channels, int64_t padding) : padding_(padding) {
  conv_ = register_module("conv", conv(channels, channels, 3, 2, padding));
}

torch::Tensor Downsample2DImpl::forward(const torch::Tensor& x) {
  if (padding_ == 0) return conv_(F::pad(x, F::PadFuncOptions({0, 1, 0, 1})));
  return conv_(x);
}

Upsample2DImpl::Upsample2DImpl(int64_t channels) {
  conv_ = register_module("conv", conv(channels, channels, 3));
}

torch::Tensor Upsample2DImpl::forward(const torch::Tensor& x, c10::IntArrayRef size) {
  const torch::Tensor up = F::interpolate(
      x, F::InterpolateFuncOptions().size(size.vec()).mode(torch::kNearest));  // [B, C, size]
  return conv_(up);
}

AttentionImpl::AttentionImpl(const AttentionOptions& o) : options_(o) {
  const int64_t inner = o.heads * o.dim_head;
  const int64_t kv_in = o.cross_attention_dim > 0 ? o.cross_attention_dim : o.query_dim;
  if (o.norm_groups > 0)
    group_norm_ = register_module("group_norm", group_norm(o.norm_groups, o.query_dim, o.norm_eps));
  using torch::nn::LinearOptions;
  to_q_ =
      register_module("to_q", torch::nn::Linear(LinearOptions(o.query_dim, inner).bias(o.bias)));
  to_k_ = register_module("to_k", torch::nn::Linear(LinearOptions(kv_in, inner).bias(o.bias)));
  to_v_ = register_module("to_v", torch::nn::Linear(LinearOptions(kv_in, inner).bias(o.bias)));
  to_out_ = register_module("to_out", torch::nn::ModuleList());
  to_out_->push_back(torch::nn::Linear(inner, o.query_dim));
  to_out_->push_back(torch::nn::Dropout(0.0));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& context) {
  const torch::Tensor& kv = context.defined() ? context : x;
  const torch::Tensor out = multi_head_attention(to_q_(x), to_k_(kv), to_v_(kv), options_.heads);
  return to_out_->ptr<torch::nn::LinearImpl>(0)->forward(out);  // [B, N, query_dim]
}

torch::Tensor AttentionImpl::forward_spatial(const torch::Tensor& x) {
  const int64_t b = x.size(0), c = x.size(1), hgt = x.size(2), wid = x.size(3);
  torch::Tensor h = group_norm_ ? group_norm_(x) : x;
  h = h.reshape({b, c, hgt * wid}).transpose(1, 2);  // [B, H·W, C]
  h = forward(h);
  return h.transpose(1, 2).reshape({b, c, hgt, wid}) + x;
}

GEGLUImpl::GEGLUImpl(int64_t dim, int64_t inner) {
  proj_ = register_module("proj", torch::nn::Linear(dim, 2 * inner));
}

torch::Tensor GEGLUImpl::forward(const torch::Tensor& x) {
  const auto halves = proj_(x).chunk(2, -1);  // hidden, gate: [..., inner] each
  return halves[0] * torch::gelu(halves[1]);
}

FeedForwardImpl::FeedForwardImpl(int64_t dim, int64_t inner) {
  net_ = register_module("net", torch::nn::ModuleList());
  geglu_ = GEGLU(dim, inner);
  out_ = torch::nn::Linear(inner, dim);
  net_->push_back(geglu_);
  net_->push_back(torch::nn::Dropout(0.0));
  net_->push_back(out_);
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) { return out_(geglu_(x)); }

BasicTransformerBlockImpl::BasicTransformerBlockImpl(int64_t dim, int64_t heads, int64_t dim_head,
                                                     int64_t cross_attention_dim) {
  auto layer_norm = [&] {
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(1e-5));
  };
  AttentionOptions self_attn;
  self_attn.query_dim = dim;
  self_attn.heads = heads;
  self_attn.dim_head = dim_head;
  AttentionOptions cross_attn = self_attn;
  cross_attn.cross_attention_dim = cross_attention_dim;
  norm1_ = register_module("norm1", layer_norm());
  attn1_ = register_module("attn1", Attention(self_attn));
  norm2_ = register_module("norm2", layer_norm());
  attn2_ = register_module("attn2", Attention(cross_attn));
  norm3_ = register_module("norm3", layer_norm());
  ff_ = register_module("ff", FeedForward(dim, 4 * dim));
}

torch::Tensor BasicTransformerBlockImpl::forward(const torch::Tensor& x,
                                                 const torch::Tensor& context) {
  torch::Tensor h = attn1_(norm1_(x)) + x;  // [B, N, dim]
  h = attn2_->forward(norm2_(h), context) + h;
  return ff_(norm3_(h)) + h;
}

Transformer2DModelImpl::Transformer2DModelImpl(const Transformer2DOptions& o) : options_(o) {
  const int64_t inner = o.heads * o.dim_head;
  norm_ = register_module("norm", group_norm(o.norm_groups, o.in_channels, 1e-6));
  if (o.use_linear_projection)
    proj_in_linear_ = register_module("proj_in", torch::nn::Linear(o.in_channels, inner));
  else
    proj_in_conv_ = register_module("proj_in", conv(o.in_channels, inner, 1));
  transformer_blocks_ = register_module("transformer_blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.num_layers; ++i)
    transformer_blocks_->push_back(
        BasicTransformerBlock(inner, o.heads, o.dim_head, o.cross_attention_dim));
  if (o.use_linear_projection)
    proj_out_linear_ = register_module("proj_out", torch::nn::Linear(inner, o.in_channels));
  else
    proj_out_conv_ = register_module("proj_out", conv(inner, o.in_channels, 1));
}

torch::Tensor Transformer2DModelImpl::forward(const torch::Tensor& x,
                                              const torch::Tensor& context) {
  const int64_t b = x.size(0), c = x.size(1), hgt = x.size(2), wid = x.size(3);
  const int64_t inner = options_.heads * options_.dim_head;
  torch::Tensor h = norm_(x);
  if (options_.use_linear_projection)
    h = proj_in_linear_(h.permute({0, 2, 3, 1}).reshape({b, hgt * wid, c}));  // [B, H·W, inner]
  else
    h = proj_in_conv_(h).permute({0, 2, 3, 1}).reshape({b, hgt * wid, inner});
  for (const auto& block : *transformer_blocks_)
    h = block->as<BasicTransformerBlockImpl>()->forward(h, context);
  if (options_.use_linear_projection)
    h = proj_out_linear_(h).reshape({b, hgt, wid, c}).permute({0, 3, 1, 2});  // [B, C, H, W]
  else
    h = proj_out_conv_(h.reshape({b, hgt, wid, inner}).permute({0, 3, 1, 2}).contiguous());
  return h + x;
}

}  // namespace bd::nn
