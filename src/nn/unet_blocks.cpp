#include "nn/unet_blocks.h"

#include <torch/torch.h>

#include <cmath>

namespace bd::nn {

namespace {

torch::nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride = 1) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1));
}

torch::Tensor upsample_nearest2x(const torch::Tensor& x) {  // x: [B, C, H, W]
  return torch::upsample_nearest2d(x, {x.size(2) * 2, x.size(3) * 2});
}

torch::Tensor resample(const torch::Tensor& x, Resample r) {
  switch (r) {
    case Resample::Up:
      return upsample_nearest2x(x);
    case Resample::Down:
      return torch::avg_pool2d(x, /*kernel_size=*/{2, 2}, /*stride=*/{2, 2});
    case Resample::None:
      break;
  }
  return x;
}

}  // namespace

torch::Tensor timestep_embedding(const torch::Tensor& t, int64_t dim, double max_period) {
  const int64_t half = dim / 2;
  // Same operation order as the reference, so the float32 rounding agrees.
  const torch::Tensor freqs =
      torch::exp(-std::log(max_period) *
                 torch::arange(0, half, torch::dtype(torch::kFloat32).device(t.device())) / half);
  const torch::Tensor args = t.to(torch::kFloat32).unsqueeze(1) * freqs.unsqueeze(0);  // [B, half]
  torch::Tensor emb = torch::cat({torch::cos(args), torch::sin(args)}, -1);
  if (dim % 2 == 1) emb = torch::cat({emb, torch::zeros_like(emb.narrow(1, 0, 1))}, -1);
  return emb;
}

void EmbedSequentialImpl::push_back(std::shared_ptr<EmbedLayer> layer) {
  register_module(std::to_string(layers_.size()), layer);
  layers_.push_back(std::move(layer));
}

torch::Tensor EmbedSequentialImpl::forward(torch::Tensor x, const torch::Tensor& emb) {
  for (auto& layer : layers_) x = layer->forward(x, emb);
  return x;
}

ConvLayer::ConvLayer(int64_t in_channels, int64_t out_channels) {
  // The reference's key is input_blocks.0.0.weight: this layer IS the ".0", so the conv's
  // tensors are registered here rather than under a child.
  torch::nn::Conv2d init = conv3x3(in_channels, out_channels);
  weight_ = register_parameter("weight", init->weight);
  bias_ = register_parameter("bias", init->bias);
}

torch::Tensor ConvLayer::forward(const torch::Tensor& x, const torch::Tensor&) {
  return torch::conv2d(x, weight_, bias_, /*stride=*/1, /*padding=*/1);
}

Downsample::Downsample(int64_t channels) {
  op_ = register_module("op", conv3x3(channels, channels, /*stride=*/2));
}

torch::Tensor Downsample::forward(const torch::Tensor& x, const torch::Tensor&) {
  return op_->forward(x);
}

Upsample::Upsample(int64_t channels) {
  conv_ = register_module("conv", conv3x3(channels, channels));
}

torch::Tensor Upsample::forward(const torch::Tensor& x, const torch::Tensor&) {
  return conv_->forward(upsample_nearest2x(x));
}

ResBlock::ResBlock(const ResBlockOptions& o) : options_(o) {
  in_norm_ = GroupNorm32(o.in_channels);
  in_conv_ = conv3x3(o.in_channels, o.out_channels);
  in_layers_ =
      register_module("in_layers", torch::nn::Sequential(in_norm_, torch::nn::SiLU(), in_conv_));
  const int64_t emb_out = o.use_scale_shift_norm ? 2 * o.out_channels : o.out_channels;
  emb_layers_ = register_module(
      "emb_layers",
      torch::nn::Sequential(torch::nn::SiLU(), torch::nn::Linear(o.emb_channels, emb_out)));
  out_norm_ = GroupNorm32(o.out_channels);
  dropout_ = torch::nn::Dropout(o.dropout);
  out_conv_ = conv3x3(o.out_channels, o.out_channels);
  out_layers_ = register_module(
      "out_layers", torch::nn::Sequential(out_norm_, torch::nn::SiLU(), dropout_, out_conv_));
  if (o.in_channels != o.out_channels)
    skip_ = register_module("skip_connection", torch::nn::Conv2d(torch::nn::Conv2dOptions(
                                                   o.in_channels, o.out_channels, 1)));
}

torch::Tensor ResBlock::forward(const torch::Tensor& x_in, const torch::Tensor& emb) {
  torch::Tensor x = x_in;  // x: [B, C_in, H, W]
  torch::Tensor h;
  if (options_.resample != Resample::None) {
    // Resample between the activation and the conv, and resample the skip path too.
    h = resample(torch::silu(in_norm_->forward(x)), options_.resample);
    x = resample(x, options_.resample);
    h = in_conv_->forward(h);
  } else {
    h = in_layers_->forward(x);
  }
  // The time projection runs in emb's dtype (float32) and is cast to the torso's.
  torch::Tensor e = emb_layers_->forward(emb).to(h.scalar_type());  // [B, E_out]
  e = e.view({e.size(0), e.size(1), 1, 1});
  if (options_.use_scale_shift_norm) {
    auto chunks = e.chunk(2, 1);  // scale, shift in that order
    h = out_norm_->forward(h) * (1 + chunks[0]) + chunks[1];
    h = out_conv_->forward(dropout_->forward(torch::silu(h)));
  } else {
    h = out_layers_->forward(h + e);
  }
  return (skip_ ? skip_->forward(x) : x) + h;  // [B, C_out, H', W']
}

AttentionBlock::AttentionBlock(int64_t channels, int64_t num_heads, bool new_order)
    : num_heads_(num_heads), new_order_(new_order) {
  norm_ = register_module("norm", GroupNorm32(channels));
  qkv_ = register_module("qkv",
                         torch::nn::Conv1d(torch::nn::Conv1dOptions(channels, 3 * channels, 1)));
  proj_out_ = register_module("proj_out",
                              torch::nn::Conv1d(torch::nn::Conv1dOptions(channels, channels, 1)));
}

torch::Tensor AttentionBlock::forward(const torch::Tensor& x_in, const torch::Tensor&) {
  const auto sizes = x_in.sizes();
  const torch::Tensor x = x_in.reshape({sizes[0], sizes[1], -1});  // [B, C, T]
  const torch::Tensor qkv = qkv_->forward(norm_->forward(x));      // [B, 3C, T]
  const torch::Tensor h = proj_out_->forward(qkv_attention(qkv, num_heads_, new_order_));
  return (x + h).reshape(sizes);
}

torch::Tensor qkv_attention(const torch::Tensor& qkv, int64_t num_heads, bool new_order) {
  const int64_t batch = qkv.size(0), width = qkv.size(1), length = qkv.size(2);
  const int64_t ch = width / (3 * num_heads);
  torch::Tensor q, k, v;  // each [B·heads, ch, T]
  if (new_order) {
    auto c = qkv.chunk(3, 1);
    q = c[0].reshape({batch * num_heads, ch, length});
    k = c[1].reshape({batch * num_heads, ch, length});
    v = c[2].reshape({batch * num_heads, ch, length});
  } else {
    auto s = qkv.reshape({batch * num_heads, 3 * ch, length}).split(ch, 1);
    q = s[0], k = s[1], v = s[2];
  }
  // Scaling q and k each by ch^-1/4 is more stable in fp16 than scaling afterwards.
  const double scale = 1.0 / std::sqrt(std::sqrt(static_cast<double>(ch)));
  torch::Tensor w = torch::bmm((q * scale).transpose(1, 2), k * scale);  // [B·heads, T, T]
  w = torch::softmax(w.to(torch::kFloat32), -1).to(w.scalar_type());
  const torch::Tensor a = torch::bmm(v, w.transpose(1, 2));  // [B·heads, ch, T]
  return a.reshape({batch, -1, length});
}

}  // namespace bd::nn
