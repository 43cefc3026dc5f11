#pragma once
// The ADM UNet's architecture, and how create_model's arguments (bd/network_config.h)
// spell it. Torch-free: the pack loader checks a pack's arguments with it.
#include <cstdint>
#include <string>
#include <vector>

#include "bd/network_config.h"

namespace bd::nn {

// Defaults are the 256×256 unconditional checkpoint Blended Diffusion uses.
struct UNetConfig {
  int64_t in_channels = 3;
  int64_t model_channels = 256;
  int64_t out_channels = 6;  // 6 with learned sigma (ε and the variance interpolation v)
  int64_t num_res_blocks = 2;
  std::vector<double> channel_mult = {1, 1, 2, 2, 4, 4};  // 0.5 occurs (512×512 model)
  // Downsampling rates (image_size / resolution) that get attention: "32,16,8" at 256².
  std::vector<int64_t> attention_ds = {8, 16, 32};
  int64_t num_classes = 0;  // 0: unconditional; 1000: class-conditional (label_emb)
  // Heads: channels / num_head_channels, or num_heads when num_head_channels is -1.
  // Output blocks use num_heads_upsample (-1: num_heads). Shapes cannot tell these.
  int64_t num_heads = 4;
  int64_t num_head_channels = 64;
  int64_t num_heads_upsample = -1;
  bool use_scale_shift_norm = true;
  bool resblock_updown = true;
  bool use_new_attention_order = false;  // false: QKVAttentionLegacy
  double dropout = 0.0;                  // training only; eval() disables it

  bool learn_sigma() const { return out_channels == 2 * in_channels; }
  int64_t time_embed_dim() const { return 4 * model_channels; }
  int64_t channels_at(size_t level) const {
    return static_cast<int64_t>(channel_mult.at(level) * static_cast<double>(model_channels));
  }
  bool operator==(const UNetConfig& o) const;
  bool operator!=(const UNetConfig& o) const { return !(*this == o); }
  std::string to_string() const;
};

using bd::CreateModelArgs;  // guided_diffusion script_util.create_model's arguments
// Throws bd::Error(InvalidInput) for malformed lists or an image size without default.
UNetConfig unet_config_from_args(const CreateModelArgs& args);

}  // namespace bd::nn
