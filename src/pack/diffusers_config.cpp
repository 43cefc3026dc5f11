#include "pack/diffusers_config.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <utility>
#include <vector>

#include "bd/error.h"

namespace bd::pack {



namespace {

[[noreturn]] void bad(const std::string& what) { throw Error(ErrorKind::ModelFiles, what); }

// Reads j[key] into `out` when present and not null; a wrong type names the key.
template <typename T>
void read(const nlohmann::json& j, const char* key, T& out) {
  if (!j.contains(key) || j.at(key).is_null()) return;
  try {
    out = j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    bad(std::string("'") + key + "' has the wrong type: " + j.at(key).dump());
  }
}

// An int (the same for every level) or a list of one int per level.
void read_per_level(const nlohmann::json& j, const char* key, size_t levels,
                    std::vector<int64_t>& out) {
  if (!j.contains(key) || j.at(key).is_null()) {
    if (!out.empty()) out.assign(levels, out.front());
    return;
  }
  const nlohmann::json& v = j.at(key);
  if (v.is_number_integer()) {
    out.assign(levels, v.get<int64_t>());
    return;
  }
  if (!v.is_array())
    bad(std::string("'") + key + "' must be an int or a list of ints: " + v.dump());
  out.clear();
  for (const auto& e : v) {
    if (!e.is_number_integer())
      bad(std::string("'") + key + "' must be an int or a list of ints: " + v.dump());
    out.push_back(e.get<int64_t>());
  }
}

// Options this port does not implement must hold diffusers' default (or be absent).
// null and false both mean "off"; a per-level list of defaults is the default too.
bool is_default(const nlohmann::json& v, const nlohmann::json& value) {
  if (v == value) return true;
  const bool off = v.is_null() || v == false;
  if (off && (value.is_null() || value == false)) return true;
  if (!v.is_array() || v.empty()) return false;
  for (const auto& e : v)
    if (!is_default(e, value)) return false;
  return true;
}

void require_defaults(const nlohmann::json& j,
                      const std::vector<std::pair<const char*, nlohmann::json>>& defaults) {
  for (const auto& [key, value] : defaults)
    if (j.contains(key) && !is_default(j.at(key), value))
      bad(std::string("'") + key + "' = " + j.at(key).dump() + " is not supported (only " +
          value.dump() + ")");
}

// Fields where null means a different network (no mid block, no output norm, ...), not
// "use the default".
void require_non_null(const nlohmann::json& j, const std::vector<const char*>& keys) {
  for (const char* key : keys)
    if (j.contains(key) && j.at(key).is_null())
      bad(std::string("'") + key + "' = null is not supported");
}

// A side length: an int, or [height, width] of which the first is kept (informative only).
void read_side(const nlohmann::json& j, const char* key, int64_t& out) {
  if (j.contains(key) && j.at(key).is_array()) {
    std::vector<int64_t> sides;
    read(j, key, sides);
    if (!sides.empty()) out = sides.front();
  } else {
    read(j, key, out);
  }
}

void expect_class(const nlohmann::json& j, const char* name) {
  if (j.contains("_class_name") && j.at("_class_name") != name)
    bad("config is for " + j.at("_class_name").dump() + ", not " + name);
}

}  // namespace

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::ModelFiles, path + ": cannot open");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::ModelFiles, path + ": not valid JSON: " + e.what());
  }
}

nn::UNet2DConditionConfig unet2d_condition_config_from_json(const nlohmann::json& j) {
  if (!j.is_object()) bad("UNet config is not a JSON object");
  expect_class(j, "UNet2DConditionModel");
  require_defaults(j, {{"center_input_sample", false},
                       {"class_embed_type", nullptr},
                       {"num_class_embeds", nullptr},
                       {"addition_embed_type", nullptr},
                       {"addition_time_embed_dim", nullptr},
                       {"projection_class_embeddings_input_dim", nullptr},
                       {"class_embeddings_concat", false},
                       {"encoder_hid_dim", nullptr},
                       {"encoder_hid_dim_type", nullptr},
                       {"time_embedding_type", "positional"},
                       {"time_embedding_dim", nullptr},
                       {"time_embedding_act_fn", nullptr},
                       {"timestep_post_act", nullptr},
                       {"time_cond_proj_dim", nullptr},
                       {"resnet_time_scale_shift", "default"},
                       {"resnet_skip_time_act", false},
                       {"conv_in_kernel", 3},
                       {"conv_out_kernel", 3},
                       {"act_fn", "silu"},
                       {"only_cross_attention", false},
                       {"mid_block_only_cross_attention", nullptr},
                       {"dual_cross_attention", false},
                       {"attention_type", "default"},
                       {"cross_attention_norm", nullptr},
                       {"num_attention_heads", nullptr},
                       {"reverse_transformer_layers_per_block", nullptr}});
  require_non_null(j, {"mid_block_type", "norm_num_groups", "attention_head_dim"});
  nn::UNet2DConditionConfig c;
  read_side(j, "sample_size", c.sample_size);
  read(j, "in_channels", c.in_channels);
  read(j, "out_channels", c.out_channels);
  read(j, "flip_sin_to_cos", c.flip_sin_to_cos);
  read(j, "freq_shift", c.freq_shift);
  read(j, "down_block_types", c.down_block_types);
  read(j, "mid_block_type", c.mid_block_type);
  read(j, "up_block_types", c.up_block_types);
  read(j, "block_out_channels", c.block_out_channels);
  const size_t levels = c.block_out_channels.size();
  read_per_level(j, "layers_per_block", levels, c.layers_per_block);
  read(j, "downsample_padding", c.downsample_padding);
  read(j, "mid_block_scale_factor", c.mid_block_scale_factor);
  read(j, "resnet_out_scale_factor", c.resnet_out_scale_factor);
  read(j, "norm_num_groups", c.norm_num_groups);
  read(j, "norm_eps", c.norm_eps);
  if (j.contains("cross_attention_dim") && j.at("cross_attention_dim").is_array())
    bad("'cross_attention_dim' as a per-level list is not supported");
  read(j, "cross_attention_dim", c.cross_attention_dim);
  read_per_level(j, "transformer_layers_per_block", levels, c.transformer_layers_per_block);
  read_per_level(j, "attention_head_dim", levels, c.attention_head_dim);
  read(j, "use_linear_projection", c.use_linear_projection);
  read(j, "upcast_attention", c.upcast_attention);
  c.validate();
  return c;
}

nn::AutoencoderKLConfig autoencoder_kl_config_from_json(const nlohmann::json& j) {
  if (!j.is_object()) bad("VAE config is not a JSON object");
  expect_class(j, "AutoencoderKL");
  require_defaults(j, {{"act_fn", "silu"},
                       {"latents_mean", nullptr},
                       {"latents_std", nullptr},
                       {"shift_factor", nullptr}});
  require_non_null(j, {"norm_num_groups"});
  nn::AutoencoderKLConfig c;
  read(j, "in_channels", c.in_channels);
  read(j, "out_channels", c.out_channels);
  read(j, "latent_channels", c.latent_channels);
  read(j, "down_block_types", c.down_block_types);
  read(j, "up_block_types", c.up_block_types);
  read(j, "block_out_channels", c.block_out_channels);
  read(j, "layers_per_block", c.layers_per_block);
  read(j, "norm_num_groups", c.norm_num_groups);
  read_side(j, "sample_size", c.sample_size);
  read(j, "scaling_factor", c.scaling_factor);
  read(j, "use_quant_conv", c.use_quant_conv);
  read(j, "use_post_quant_conv", c.use_post_quant_conv);
  read(j, "mid_block_add_attention", c.mid_block_add_attention);
  c.validate();
  return c;
}

nn::CLIPTextConfig clip_text_config_from_json(const nlohmann::json& top) {
  if (!top.is_object()) bad("text encoder config is not a JSON object");
  const nlohmann::json& j = top.contains("text_config") ? top.at("text_config") : top;
  if (j.contains("model_type") && j.at("model_type") != "clip_text_model" &&
      j.at("model_type") != "clip")
    bad("config is for model_type " + j.at("model_type").dump() + ", not clip_text_model");
  nn::CLIPTextConfig c;
  read(j, "vocab_size", c.vocab_size);
  read(j, "hidden_size", c.hidden_size);
  read(j, "intermediate_size", c.intermediate_size);
  read(j, "num_hidden_layers", c.num_hidden_layers);
  read(j, "num_attention_heads", c.num_attention_heads);
  read(j, "max_position_embeddings", c.max_position_embeddings);
  read(j, "hidden_act", c.hidden_act);
  read(j, "layer_norm_eps", c.layer_norm_eps);
  read(j, "eos_token_id", c.eos_token_id);
  c.validate();
  return c;
}

}  // namespace bd::pack
