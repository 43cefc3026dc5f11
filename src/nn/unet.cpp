#include "nn/unet.h"

#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "bd/error.h"
#include "core/log.h"
#include "io/state_dict.h"

namespace bd::nn {

namespace {

int64_t heads_for(int64_t channels, int64_t num_heads, int64_t num_head_channels) {
  if (num_head_channels == -1) return num_heads;
  if (num_head_channels <= 0 || channels % num_head_channels != 0)
    throw Error(ErrorKind::InvalidInput, "UNet: " + std::to_string(channels) +
                                             " channels are not a multiple of num_head_channels " +
                                             std::to_string(num_head_channels));
  return channels / num_head_channels;
}

}  // namespace

UNetConfig infer_unet_config(const std::vector<io::NamedTensor>& tensors,
                             const UNetConfig& unobservable) {
  std::map<std::string, c10::IntArrayRef> shapes;
  for (const auto& t : tensors) shapes[t.name] = t.tensor.sizes();
  auto has = [&](const std::string& k) { return shapes.count(k) > 0; };
  auto shape = [&](const std::string& k) -> c10::IntArrayRef {
    auto it = shapes.find(k);
    if (it == shapes.end())
      throw Error(ErrorKind::ModelFiles, "not an ADM UNet state dict: no tensor '" + k + "'");
    return it->second;
  };
  auto block_exists = [&](const std::string& prefix) {
    auto it = shapes.lower_bound(prefix);
    return it != shapes.end() && it->first.rfind(prefix, 0) == 0;
  };

  UNetConfig c = unobservable;
  c.model_channels = shape("time_embed.0.weight")[1];
  c.in_channels = shape("input_blocks.0.0.weight")[1];
  c.out_channels = shape("out.2.weight")[0];
  c.num_classes = has("label_emb.weight") ? shape("label_emb.weight")[0] : 0;

  int64_t n_out = 0;
  while (block_exists("output_blocks." + std::to_string(n_out) + ".")) ++n_out;
  // The first output block holding an upsampler (a ResBlock or an Upsample after the
  // first layer) ends the deepest level, which has num_res_blocks + 1 blocks.
  int64_t first_up = -1;
  bool up_is_resblock = unobservable.resblock_updown;
  for (int64_t k = 0; k < n_out && first_up < 0; ++k) {
    for (int m = 1; m <= 2; ++m) {
      const std::string p = "output_blocks." + std::to_string(k) + "." + std::to_string(m) + ".";
      if (has(p + "in_layers.0.weight") || has(p + "conv.weight")) {
        first_up = k;
        up_is_resblock = has(p + "in_layers.0.weight");
      }
    }
  }
  c.num_res_blocks = first_up >= 0 ? first_up : n_out - 1;
  if (c.num_res_blocks < 1 || n_out % (c.num_res_blocks + 1) != 0)
    throw Error(ErrorKind::ModelFiles, "not an ADM UNet state dict: " + std::to_string(n_out) +
                                           " output blocks do not form levels");
  const int64_t levels = n_out / (c.num_res_blocks + 1);
  c.resblock_updown = up_is_resblock;

  c.channel_mult.clear();
  c.attention_ds.clear();
  for (int64_t level = 0; level < levels; ++level) {
    // input_blocks: the stem, then per level num_res_blocks ResBlocks and a downsampler.
    const std::string p =
        "input_blocks." + std::to_string(1 + level * (c.num_res_blocks + 1)) + ".";
    const int64_t ch = shape(p + "0.in_layers.2.weight")[0];
    c.channel_mult.push_back(static_cast<double>(ch) / static_cast<double>(c.model_channels));
    if (has(p + "1.qkv.weight")) c.attention_ds.push_back(int64_t{1} << level);
    if (level == 0) c.use_scale_shift_norm = shape(p + "0.emb_layers.1.weight")[0] == 2 * ch;
  }
  return c;
}

UNetImpl::UNetImpl(const UNetConfig& config) : config_(config) {
  const UNetConfig& c = config_;
  if (c.channel_mult.empty() || c.num_res_blocks < 1)
    throw Error(ErrorKind::InvalidInput, "UNet: " + c.to_string() + " has no levels");
  const int64_t emb_dim = c.time_embed_dim();
  time_embed_ = register_module(
      "time_embed", torch::nn::Sequential(torch::nn::Linear(c.model_channels, emb_dim),
                                          torch::nn::SiLU(), torch::nn::Linear(emb_dim, emb_dim)));
  if (c.num_classes > 0)
    label_emb_ = register_module("label_emb", torch::nn::Embedding(c.num_classes, emb_dim));

  auto attends = [&](int64_t ds) {
    return std::find(c.attention_ds.begin(), c.attention_ds.end(), ds) != c.attention_ds.end();
  };
  auto resblock = [&](int64_t in, int64_t out, Resample r = Resample::None) {
    return std::make_shared<ResBlock>(
        ResBlockOptions{in, out, emb_dim, c.dropout, c.use_scale_shift_norm, r});
  };
  const int64_t heads_up = c.num_heads_upsample == -1 ? c.num_heads : c.num_heads_upsample;

  input_blocks_ = register_module("input_blocks", torch::nn::ModuleList());
  int64_t ch = c.channels_at(0);
  const int64_t stem_ch = ch;
  EmbedSequential stem;
  stem->push_back(std::make_shared<ConvLayer>(c.in_channels, ch));
  input_blocks_->push_back(stem);
  std::vector<int64_t> skip_channels = {ch};
  int64_t ds = 1;
  for (size_t level = 0; level < c.channel_mult.size(); ++level) {
    for (int64_t i = 0; i < c.num_res_blocks; ++i) {
      EmbedSequential block;
      block->push_back(resblock(ch, c.channels_at(level)));
      ch = c.channels_at(level);
      if (attends(ds))
        block->push_back(std::make_shared<AttentionBlock>(
            ch, heads_for(ch, c.num_heads, c.num_head_channels), c.use_new_attention_order));
      input_blocks_->push_back(block);
      skip_channels.push_back(ch);
    }
    if (level + 1 != c.channel_mult.size()) {
      EmbedSequential down;
      if (c.resblock_updown)
        down->push_back(resblock(ch, ch, Resample::Down));
      else
        down->push_back(std::make_shared<Downsample>(ch));
      input_blocks_->push_back(down);
      skip_channels.push_back(ch);
      ds *= 2;
    }
  }

  middle_block_ = register_module("middle_block", EmbedSequential());
  middle_block_->push_back(resblock(ch, ch));
  middle_block_->push_back(std::make_shared<AttentionBlock>(
      ch, heads_for(ch, c.num_heads, c.num_head_channels), c.use_new_attention_order));
  middle_block_->push_back(resblock(ch, ch));

  output_blocks_ = register_module("output_blocks", torch::nn::ModuleList());
  for (size_t level = c.channel_mult.size(); level-- > 0;) {
    for (int64_t i = 0; i <= c.num_res_blocks; ++i) {
      const int64_t skip_ch = skip_channels.back();
      skip_channels.pop_back();
      EmbedSequential block;
      block->push_back(resblock(ch + skip_ch, c.channels_at(level)));
      ch = c.channels_at(level);
      if (attends(ds))
        block->push_back(std::make_shared<AttentionBlock>(
            ch, heads_for(ch, heads_up, c.num_head_channels), c.use_new_attention_order));
      if (level > 0 && i == c.num_res_blocks) {
        if (c.resblock_updown)
          block->push_back(resblock(ch, ch, Resample::Up));
        else
          block->push_back(std::make_shared<Upsample>(ch));
        ds /= 2;
      }
      output_blocks_->push_back(block);
    }
  }

  out_ = register_module(
      "out",
      torch::nn::Sequential(
          GroupNorm32(ch), torch::nn::SiLU(),
          torch::nn::Conv2d(torch::nn::Conv2dOptions(stem_ch, c.out_channels, 3).padding(1))));
}

torch::Tensor UNetImpl::forward(const torch::Tensor& x, const torch::Tensor& t,
                                const torch::Tensor& y, UNetTrace* trace) {
  const int64_t batch = x.size(0);
  torch::Tensor steps = t.to(x.device()).reshape({-1});
  if (steps.size(0) == 1 && batch != 1) steps = steps.expand({batch});
  const torch::Tensor t_emb = timestep_embedding(steps, config_.model_channels);  // [B, mc]
  torch::Tensor emb = time_embed_->forward(t_emb);                                // [B, 4·mc]
  if (config_.num_classes > 0) {
    if (!y.defined())
      throw Error(ErrorKind::InvalidInput, "UNet: a class-conditional model needs labels y");
    emb = emb + label_emb_->forward(y.to(x.device(), torch::kLong));
  }

  torch::Tensor h = x.to(torso_dtype_);  // h: [B, C, H, W]
  std::vector<torch::Tensor> skips;
  skips.reserve(input_blocks_->size());
  for (const auto& block : *input_blocks_) {
    h = block->as<EmbedSequentialImpl>()->forward(h, emb);
    skips.push_back(h);
  }
  h = middle_block_->forward(h, emb);
  if (trace) *trace = UNetTrace{t_emb, emb, h};
  for (const auto& block : *output_blocks_) {
    h = torch::cat({h, skips.back()}, 1);  // the skip goes after h on the channel axis
    skips.pop_back();
    h = block->as<EmbedSequentialImpl>()->forward(h, emb);
  }
  return out_->forward(h.to(x.scalar_type()));  // [B, out, H, W]
}

void UNetImpl::convert_to_fp16() { convert_torso(torch::kFloat16); }

void UNetImpl::convert_torso(torch::ScalarType dtype) {
  torch::NoGradGuard no_grad;
  for (const auto& torso : {std::shared_ptr<torch::nn::Module>(input_blocks_.ptr()),
                            std::shared_ptr<torch::nn::Module>(middle_block_.ptr()),
                            std::shared_ptr<torch::nn::Module>(output_blocks_.ptr())}) {
    for (const auto& m : torso->modules(/*include_self=*/false)) {
      const bool conv = m->as<torch::nn::Conv2dImpl>() || m->as<torch::nn::Conv1dImpl>() ||
                        dynamic_cast<ConvLayer*>(m.get()) != nullptr;
      if (!conv) continue;
      for (auto& p : m->parameters(/*recurse=*/false)) p.set_data(p.data().to(dtype));
    }
  }
  torso_dtype_ = dtype;
}

UNet load_unet(const std::string& path, const torch::Device& device,
               const UNetLoadOptions& options) {
  try {
    const io::TensorFile file = io::read_tensor_file(path);
    const UNetConfig config = infer_unet_config(file.tensors, options.unobservable);
    UNet unet(config);
    io::load_state_dict(*unet, file.tensors, path);
    freeze(*unet);
    if (options.torso_dtype != torch::kFloat32) unet->convert_torso(options.torso_dtype);
    unet->to(device);
    log::nn()->info("UNet from {}: {} ({} parameters, torso {}) on {}", path, config.to_string(),
                    parameter_count(*unet), c10::toString(unet->torso_dtype()), device.str());
    return unet;
  } catch (...) {
    rethrow_with_stage("loading UNet from " + path);
  }
}

}  // namespace bd::nn
