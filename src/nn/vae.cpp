#include "nn/vae.h"

#include <torch/torch.h>

#include <sstream>

#include "bd/error.h"

namespace bd::nn {

namespace {

// diffusers' Encoder and Decoder build every block with resnet_eps 1e-6.
constexpr double kEps = 1e-6;

[[noreturn]] void invalid(const std::string& what) {
  throw Error(ErrorKind::ModelFiles, "AutoencoderKL config: " + what);
}

torch::nn::Conv2d conv3(int64_t in, int64_t out) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1));
}

torch::nn::GroupNorm norm(int64_t groups, int64_t channels) {
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(groups, channels).eps(kEps));
}

ResnetBlock2D vae_resnet(int64_t in, int64_t out, int64_t groups) {
  ResnetBlock2DOptions o;
  o.in_channels = in;
  o.out_channels = out;
  o.groups = groups;
  o.eps = kEps;
  return ResnetBlock2D(o);
}

}  // namespace

void AutoencoderKLConfig::validate() const {
  const size_t n = levels();
  if (n == 0) invalid("block_out_channels is empty");
  if (down_block_types.size() != n || up_block_types.size() != n)
    invalid("down_block_types and up_block_types need one entry per block_out_channels (" +
            std::to_string(n) + ")");
  for (const auto& t : down_block_types)
    if (t != "DownEncoderBlock2D") invalid("down block '" + t + "' is not supported");
  for (const auto& t : up_block_types)
    if (t != "UpDecoderBlock2D") invalid("up block '" + t + "' is not supported");
  if (in_channels <= 0 || out_channels <= 0 || latent_channels <= 0 || layers_per_block <= 0 ||
      norm_num_groups <= 0)
    invalid("channels, layers_per_block and norm_num_groups must be positive");
  for (size_t i = 0; i < n; ++i)
    if (block_out_channels[i] <= 0 || block_out_channels[i] % norm_num_groups != 0)
      invalid("block_out_channels at level " + std::to_string(i) + " (" +
              std::to_string(block_out_channels[i]) +
              ") is not a positive multiple of norm_num_groups (" +
              std::to_string(norm_num_groups) + ")");
}

bool AutoencoderKLConfig::operator==(const AutoencoderKLConfig& o) const {
  return in_channels == o.in_channels && out_channels == o.out_channels &&
         latent_channels == o.latent_channels && down_block_types == o.down_block_types &&
         up_block_types == o.up_block_types && block_out_channels == o.block_out_channels &&
         layers_per_block == o.layers_per_block && norm_num_groups == o.norm_num_groups &&
         sample_size == o.sample_size && scaling_factor == o.scaling_factor &&
         use_quant_conv == o.use_quant_conv && use_post_quant_conv == o.use_post_quant_conv &&
         mid_block_add_attention == o.mid_block_add_attention;
}

std::string AutoencoderKLConfig::to_string() const {
  std::ostringstream o;
  o << "AutoencoderKLConfig{in " << in_channels << ", out " << out_channels << ", latent "
    << latent_channels << ", channels [";
  for (size_t i = 0; i < block_out_channels.size(); ++i)
    o << (i ? ", " : "") << block_out_channels[i];
  o << "], layers " << layers_per_block << ", groups " << norm_num_groups << ", scaling "
    << scaling_factor << ", quant_conv " << use_quant_conv << ", post_quant_conv "
    << use_post_quant_conv << ", mid attention " << mid_block_add_attention << ", sample "
    << sample_size << "}";
  return o.str();
}

VAEMidBlockImpl::VAEMidBlockImpl(int64_t channels, int64_t groups, bool add_attention) {
  resnets_ = register_module("resnets", torch::nn::ModuleList());
  resnets_->push_back(vae_resnet(channels, channels, groups));
  if (add_attention) {
    attentions_ = register_module("attentions", torch::nn::ModuleList());
    AttentionOptions a;
    a.query_dim = channels;
    a.heads = 1;  // diffusers: attention_head_dim = block_out_channels[-1]
    a.dim_head = channels;
    a.bias = true;
    a.norm_groups = groups;
    a.norm_eps = kEps;
    attentions_->push_back(Attention(a));
  }
  resnets_->push_back(vae_resnet(channels, channels, groups));
}

torch::Tensor VAEMidBlockImpl::forward(torch::Tensor x) {
  x = resnets_->ptr<ResnetBlock2DImpl>(0)->forward(x);
  if (attentions_) x = attentions_->ptr<AttentionImpl>(0)->forward_spatial(x);
  return resnets_->ptr<ResnetBlock2DImpl>(1)->forward(x);
}

UpDecoderBlock2DImpl::UpDecoderBlock2DImpl(int64_t in_channels, int64_t out_channels,
                                           int64_t num_layers, int64_t groups, bool add_upsample) {
  resnets_ = register_module("resnets", torch::nn::ModuleList());
  for (int64_t i = 0; i < num_layers; ++i)
    resnets_->push_back(vae_resnet(i == 0 ? in_channels : out_channels, out_channels, groups));
  if (add_upsample) {
    upsamplers_ = register_module("upsamplers", torch::nn::ModuleList());
    upsamplers_->push_back(Upsample2D(out_channels));
  }
}

torch::Tensor UpDecoderBlock2DImpl::forward(torch::Tensor x) {
  for (const auto& r : *resnets_) x = r->as<ResnetBlock2DImpl>()->forward(x);
  if (upsamplers_)
    x = upsamplers_->ptr<Upsample2DImpl>(0)->forward(x, {2 * x.size(2), 2 * x.size(3)});
  return x;
}

VAEEncoderImpl::VAEEncoderImpl(const AutoencoderKLConfig& c) {
  const auto& boc = c.block_out_channels;
  const int64_t n = static_cast<int64_t>(c.levels());
  conv_in_ = register_module("conv_in", conv3(c.in_channels, boc[0]));
  down_blocks_ = register_module("down_blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < n; ++i) {
    SDBlockOptions o;  // DownEncoderBlock2D: no time embedding, asymmetric padding
    o.in_channels = i == 0 ? boc[0] : boc[i - 1];
    o.out_channels = boc[i];
    o.num_layers = c.layers_per_block;
    o.groups = c.norm_num_groups;
    o.eps = kEps;
    o.resample = i < n - 1;
    o.downsample_padding = 0;
    down_blocks_->push_back(SDDownBlock(o));
  }
  mid_block_ = register_module(
      "mid_block", VAEMidBlock(boc.back(), c.norm_num_groups, c.mid_block_add_attention));
  conv_norm_out_ = register_module("conv_norm_out", norm(c.norm_num_groups, boc.back()));
  conv_out_ = register_module("conv_out", conv3(boc.back(), 2 * c.latent_channels));
}

torch::Tensor VAEEncoderImpl::forward(const torch::Tensor& x, torch::Tensor* mid_out) {
  torch::Tensor h = conv_in_(x);  // [B, C0, H, W]
  for (const auto& block : *down_blocks_) h = block->as<SDDownBlockImpl>()->forward(h, {}, {});
  h = mid_block_(h);
  if (mid_out) *mid_out = h;
  return conv_out_(torch::silu(conv_norm_out_(h)));  // [B, 2·latent, H/f, W/f]
}

VAEDecoderImpl::VAEDecoderImpl(const AutoencoderKLConfig& c) {
  const auto& boc = c.block_out_channels;
  const int64_t n = static_cast<int64_t>(c.levels());
  conv_in_ = register_module("conv_in", conv3(c.latent_channels, boc.back()));
  mid_block_ = register_module(
      "mid_block", VAEMidBlock(boc.back(), c.norm_num_groups, c.mid_block_add_attention));
  up_blocks_ = register_module("up_blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < n; ++i) {
    const int64_t level = n - 1 - i;
    const int64_t in = i == 0 ? boc[level] : boc[level + 1];
    up_blocks_->push_back(
        UpDecoderBlock2D(in, boc[level], c.layers_per_block + 1, c.norm_num_groups, i < n - 1));
  }
  conv_norm_out_ = register_module("conv_norm_out", norm(c.norm_num_groups, boc[0]));
  conv_out_ = register_module("conv_out", conv3(boc[0], c.out_channels));
}

torch::Tensor VAEDecoderImpl::forward(const torch::Tensor& z, torch::Tensor* mid_out) {
  torch::Tensor h = mid_block_(conv_in_(z));  // [B, C_last, h, w]
  if (mid_out) *mid_out = h;
  for (const auto& block : *up_blocks_) h = block->as<UpDecoderBlock2DImpl>()->forward(h);
  return conv_out_(torch::silu(conv_norm_out_(h)));  // [B, out, h·f, w·f]
}

torch::Tensor DiagonalGaussian::sample(const torch::Tensor& noise) const {
  TORCH_CHECK(noise.sizes() == mean.sizes(), "DiagonalGaussian: noise ", noise.sizes(),
              " does not match the latents ", mean.sizes());
  return mean + std * noise.to(mean.options());
}

AutoencoderKLImpl::AutoencoderKLImpl(const AutoencoderKLConfig& config) : config_(config) {
  config_.validate();
  const int64_t latent = config_.latent_channels;
  encoder_ = register_module("encoder", VAEEncoder(config_));
  decoder_ = register_module("decoder", VAEDecoder(config_));
  if (config_.use_quant_conv)
    quant_conv_ = register_module("quant_conv", torch::nn::Conv2d(2 * latent, 2 * latent, 1));
  if (config_.use_post_quant_conv)
    post_quant_conv_ = register_module("post_quant_conv", torch::nn::Conv2d(latent, latent, 1));
}

int64_t AutoencoderKLImpl::downscale_factor() const { return int64_t{1} << (config_.levels() - 1); }

DiagonalGaussian AutoencoderKLImpl::encode(const torch::Tensor& x, AutoencoderKLTrace* trace) {
  const int64_t f = downscale_factor();
  TORCH_CHECK(
      x.dim() == 4 && x.size(1) == config_.in_channels && x.size(2) % f == 0 && x.size(3) % f == 0,
      "AutoencoderKL.encode: x must be [B, ", config_.in_channels,
      ", H, W] with H and W multiples of ", f, ", got ", x.sizes());
  torch::Tensor mid;
  const torch::Tensor h = encoder_(x, trace ? &mid : nullptr);
  const torch::Tensor moments = quant_conv_ ? quant_conv_(h) : h;  // [B, 2·latent, h, w]
  if (trace) {
    trace->encoder_out = h;
    trace->moments = moments;
    trace->encoder_mid_out = mid;
  }
  const auto halves = moments.chunk(2, 1);
  DiagonalGaussian g;
  g.mean = halves[0];
  g.logvar = halves[1].clamp(-30.0, 20.0);
  g.std = (0.5 * g.logvar).exp();
  return g;
}

torch::Tensor AutoencoderKLImpl::decode(const torch::Tensor& z, AutoencoderKLTrace* trace) {
  TORCH_CHECK(z.dim() == 4 && z.size(1) == config_.latent_channels,
              "AutoencoderKL.decode: z must be [B, ", config_.latent_channels, ", h, w], got ",
              z.sizes());
  torch::Tensor mid;
  const torch::Tensor out =
      decoder_(post_quant_conv_ ? post_quant_conv_(z) : z, trace ? &mid : nullptr);
  if (trace) trace->decoder_mid_out = mid;
  return out;
}

std::optional<std::string> vae_key_from_legacy(const std::string& name) {
  static const std::vector<std::pair<std::string, std::string>> renames = {
      {".attentions.0.query.", ".attentions.0.to_q."},
      {".attentions.0.key.", ".attentions.0.to_k."},
      {".attentions.0.value.", ".attentions.0.to_v."},
      {".attentions.0.proj_attn.", ".attentions.0.to_out.0."}};
  for (const auto& [from, to] : renames) {
    const size_t at = name.find(from);
    if (at != std::string::npos && name.find("mid_block") != std::string::npos)
      return name.substr(0, at) + to + name.substr(at + from.size());
  }
  return name;
}

}  // namespace bd::nn
