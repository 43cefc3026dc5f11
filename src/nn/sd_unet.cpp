#include "nn/sd_unet.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "bd/error.h"

namespace bd::nn {

namespace {

template <typename T>
std::string list(const std::vector<T>& v) {
  std::ostringstream o;
  o << '[';
  for (size_t i = 0; i < v.size(); ++i) o << (i ? ", " : "") << v[i];
  o << ']';
  return o.str();
}

[[noreturn]] void invalid(const std::string& what) {
  throw Error(ErrorKind::ModelFiles, "UNet2DConditionModel config: " + what);
}

}  // namespace

void UNet2DConditionConfig::validate() const {
  const size_t n = levels();
  if (n == 0) invalid("block_out_channels is empty");
  auto same_length = [&](size_t size, const char* field) {
    if (size != n)
      invalid(std::string(field) + " has " + std::to_string(size) +
              " entries, block_out_channels " + std::to_string(n));
  };
  same_length(down_block_types.size(), "down_block_types");
  same_length(up_block_types.size(), "up_block_types");
  same_length(layers_per_block.size(), "layers_per_block");
  same_length(attention_head_dim.size(), "attention_head_dim");
  same_length(transformer_layers_per_block.size(), "transformer_layers_per_block");
  if (mid_block_type != "UNetMidBlock2DCrossAttn")
    invalid("mid_block_type '" + mid_block_type + "' is not supported (UNetMidBlock2DCrossAttn)");
  if (in_channels <= 0 || out_channels <= 0 || cross_attention_dim <= 0 || norm_num_groups <= 0)
    invalid("in_channels, out_channels, cross_attention_dim and norm_num_groups must be positive");
  if (downsample_padding < 0) invalid("downsample_padding is negative");
  for (size_t i = 0; i < n; ++i) {
    const std::string at = " at level " + std::to_string(i);
    const std::string& down = down_block_types[i];
    const std::string& up = up_block_types[n - 1 - i];
    if (down != "CrossAttnDownBlock2D" && down != "DownBlock2D")
      invalid("down_block_types" + at + ": '" + down + "' is not supported");
    if (up != "CrossAttnUpBlock2D" && up != "UpBlock2D")
      invalid("up_block_types: '" + up + "' is not supported");
    if (block_out_channels[i] <= 0 || block_out_channels[i] % norm_num_groups != 0)
      invalid("block_out_channels" + at + " (" + std::to_string(block_out_channels[i]) +
              ") is not a positive multiple of norm_num_groups (" +
              std::to_string(norm_num_groups) + ")");
    if (layers_per_block[i] <= 0 || transformer_layers_per_block[i] <= 0)
      invalid("layers_per_block and transformer_layers_per_block must be positive" + at);
    if (attention_head_dim[i] <= 0 || block_out_channels[i] % attention_head_dim[i] != 0)
      invalid("attention_head_dim" + at + " (" + std::to_string(attention_head_dim[i]) +
              " heads) does not divide block_out_channels (" +
              std::to_string(block_out_channels[i]) + ")");
  }
}

bool UNet2DConditionConfig::operator==(const UNet2DConditionConfig& o) const {
  return sample_size == o.sample_size && in_channels == o.in_channels &&
         out_channels == o.out_channels && flip_sin_to_cos == o.flip_sin_to_cos &&
         freq_shift == o.freq_shift && down_block_types == o.down_block_types &&
         mid_block_type == o.mid_block_type && up_block_types == o.up_block_types &&
         block_out_channels == o.block_out_channels && layers_per_block == o.layers_per_block &&
         downsample_padding == o.downsample_padding &&
         mid_block_scale_factor == o.mid_block_scale_factor &&
         resnet_out_scale_factor == o.resnet_out_scale_factor &&
         norm_num_groups == o.norm_num_groups && norm_eps == o.norm_eps &&
         cross_attention_dim == o.cross_attention_dim &&
         transformer_layers_per_block == o.transformer_layers_per_block &&
         attention_head_dim == o.attention_head_dim &&
         use_linear_projection == o.use_linear_projection && upcast_attention == o.upcast_attention;
}

std::string UNet2DConditionConfig::to_string() const {
  std::ostringstream o;
  o << "UNet2DConditionConfig{in " << in_channels << ", out " << out_channels << ", channels "
    << list(block_out_channels) << ", down " << list(down_block_types) << ", up "
    << list(up_block_types) << ", layers " << list(layers_per_block) << ", heads "
    << list(attention_head_dim) << ", transformer layers " << list(transformer_layers_per_block)
    << ", cross " << cross_attention_dim << ", linear proj " << use_linear_projection << ", groups "
    << norm_num_groups << ", eps " << norm_eps << ", flip " << flip_sin_to_cos << ", shift "
    << freq_shift << ", pad " << downsample_padding << ", mid scale " << mid_block_scale_factor
    << ", resnet scale " << resnet_out_scale_factor << ", upcast " << upcast_attention
    << ", sample " << sample_size << "}";
  return o.str();
}

torch::Tensor sd_timestep_embedding(const torch::Tensor& t, int64_t dim, bool flip_sin_to_cos,
                                    double freq_shift, double max_period) {
  const int64_t half = dim / 2;
  // The same float32 operations in the same order as diffusers, for bit-near agreement.
  torch::Tensor exponent =
      torch::arange(0, half, torch::TensorOptions().dtype(torch::kFloat32).device(t.device())) *
      (-std::log(max_period));
  exponent = exponent / (static_cast<double>(half) - freq_shift);
  const torch::Tensor args = t.unsqueeze(1).to(torch::kFloat32) * exponent.exp().unsqueeze(0);
  torch::Tensor emb = torch::cat({args.sin(), args.cos()}, -1);  // [B, 2·half]
  if (flip_sin_to_cos) emb = torch::cat({emb.slice(1, half), emb.slice(1, 0, half)}, -1);
  if (dim % 2 == 1)
    emb = torch::nn::functional::pad(emb, torch::nn::functional::PadFuncOptions({0, 1}));
  return emb;
}

TimestepEmbeddingImpl::TimestepEmbeddingImpl(int64_t in_channels, int64_t dim) {
  linear_1_ = register_module("linear_1", torch::nn::Linear(in_channels, dim));
  // "act" (SiLU) has no weights.
  linear_2_ = register_module("linear_2", torch::nn::Linear(dim, dim));
}

torch::Tensor TimestepEmbeddingImpl::forward(const torch::Tensor& x) {
  return linear_2_(torch::silu(linear_1_(x)));
}

UNet2DConditionModelImpl::UNet2DConditionModelImpl(const UNet2DConditionConfig& config)
    : config_(config) {
  config_.validate();
  const auto& boc = config_.block_out_channels;
  const int64_t n = static_cast<int64_t>(config_.levels());
  const int64_t temb = config_.time_embed_dim();
  conv_in_ = register_module(
      "conv_in",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(config_.in_channels, boc[0], 3).padding(1)));
  time_embedding_ = register_module("time_embedding", TimestepEmbedding(boc[0], temb));

  SDBlockOptions common;
  common.temb_channels = temb;
  common.groups = config_.norm_num_groups;
  common.eps = config_.norm_eps;
  common.output_scale_factor = config_.resnet_out_scale_factor;
  common.cross_attention_dim = config_.cross_attention_dim;
  common.use_linear_projection = config_.use_linear_projection;
  common.downsample_padding = config_.downsample_padding;

  down_blocks_ = register_module("down_blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < n; ++i) {
    SDBlockOptions o = common;
    o.in_channels = i == 0 ? boc[0] : boc[i - 1];
    o.out_channels = boc[i];
    o.num_layers = config_.layers_per_block[i];
    o.cross_attention = config_.down_block_types[i] == "CrossAttnDownBlock2D";
    o.heads = config_.attention_head_dim[i];
    o.transformer_layers = config_.transformer_layers_per_block[i];
    o.resample = i < n - 1;
    down_blocks_->push_back(SDDownBlock(o));
  }

  SDBlockOptions mid = common;
  mid.in_channels = mid.out_channels = boc.back();
  mid.num_layers = 1;
  mid.cross_attention = true;
  mid.heads = config_.attention_head_dim.back();
  mid.transformer_layers = config_.transformer_layers_per_block.back();
  mid.output_scale_factor = config_.mid_block_scale_factor;
  mid_block_ = register_module("mid_block", SDMidBlockCrossAttn(mid));

  up_blocks_ = register_module("up_blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < n; ++i) {
    const int64_t level = n - 1 - i;  // the down level this up block mirrors
    SDBlockOptions o = common;
    o.prev_output_channels = i == 0 ? boc[level] : boc[level + 1];
    o.out_channels = boc[level];
    o.in_channels = boc[std::max<int64_t>(level - 1, 0)];
    o.num_layers = config_.layers_per_block[level] + 1;
    o.cross_attention = config_.up_block_types[i] == "CrossAttnUpBlock2D";
    o.heads = config_.attention_head_dim[level];
    o.transformer_layers = config_.transformer_layers_per_block[level];
    o.resample = i < n - 1;
    up_blocks_->push_back(SDUpBlock(o));
  }

  conv_norm_out_ = register_module(
      "conv_norm_out",
      torch::nn::GroupNorm(
          torch::nn::GroupNormOptions(config_.norm_num_groups, boc[0]).eps(config_.norm_eps)));
  conv_out_ = register_module(
      "conv_out",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(boc[0], config_.out_channels, 3).padding(1)));
}

torch::Tensor UNet2DConditionModelImpl::forward(const torch::Tensor& sample,
                                                const torch::Tensor& timestep,
                                                const torch::Tensor& encoder_hidden_states,
                                                UNet2DConditionTrace* trace) {
  TORCH_CHECK(sample.dim() == 4 && sample.size(1) == config_.in_channels,
              "UNet2DConditionModel: sample must be [B, ", config_.in_channels, ", H, W], got ",
              sample.sizes());
  TORCH_CHECK(encoder_hidden_states.dim() == 3 && encoder_hidden_states.size(0) == sample.size(0) &&
                  encoder_hidden_states.size(2) == config_.cross_attention_dim,
              "UNet2DConditionModel: encoder_hidden_states must be [", sample.size(0), ", M, ",
              config_.cross_attention_dim, "], got ", encoder_hidden_states.sizes());
  const int64_t b = sample.size(0);
  torch::Tensor t = timestep.to(sample.device()).reshape({-1});
  TORCH_CHECK(t.numel() == 1 || t.numel() == b, "UNet2DConditionModel: ", t.numel(),
              " timesteps for a batch of ", b);
  t = t.expand({b});
  const torch::Tensor t_emb =  // [B, C0]
      sd_timestep_embedding(t, config_.block_out_channels[0], config_.flip_sin_to_cos,
                            config_.freq_shift)
          .to(sample.scalar_type());
  const torch::Tensor emb = time_embedding_(t_emb);  // [B, 4·C0]
  const torch::Tensor& context = encoder_hidden_states;

  torch::Tensor h = conv_in_(sample);  // [B, C0, H, W]
  std::vector<torch::Tensor> skips{h};
  for (const auto& block : *down_blocks_) {
    h = block->as<SDDownBlockImpl>()->forward(h, emb, context, &skips);
    if (trace) trace->down.push_back(h);
  }
  h = mid_block_(h, emb, context);
  if (trace) trace->mid_out = h;
  for (const auto& block : *up_blocks_) {
    h = block->as<SDUpBlockImpl>()->forward(h, skips, emb, context);
    if (trace) trace->up.push_back(h);
  }
  if (trace) {
    trace->t_emb = t_emb;
    trace->emb = emb;
  }
  return conv_out_(torch::silu(conv_norm_out_(h)));  // [B, out, H, W]
}

}  // namespace bd::nn
