#include "io/model_config_json.h"

#include <nlohmann/json.hpp>

#include "bd/error.h"

namespace bd::io {

namespace {

// Reads j[key] into `out` when present; a wrong type is an error naming the key.
template <typename T>
void read(const nlohmann::json& j, const char* key, T& out) {
  if (!j.is_object() || !j.contains(key)) return;
  try {
    out = j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorKind::ModelFiles, std::string("setting '") + key + "' has the wrong type: " + j.at(key).dump());
  }
}

}  // namespace

nn::CreateModelArgs create_model_args_from_json(const nlohmann::json& j) {
  nn::CreateModelArgs a;
  read(j, "image_size", a.image_size);
  read(j, "num_channels", a.num_channels);
  read(j, "num_res_blocks", a.num_res_blocks);
  read(j, "channel_mult", a.channel_mult);
  read(j, "attention_resolutions", a.attention_resolutions);
  read(j, "num_heads", a.num_heads);
  read(j, "num_head_channels", a.num_head_channels);
  read(j, "num_heads_upsample", a.num_heads_upsample);
  read(j, "learn_sigma", a.learn_sigma);
  read(j, "class_cond", a.class_cond);
  read(j, "use_scale_shift_norm", a.use_scale_shift_norm);
  read(j, "dropout", a.dropout);
  read(j, "resblock_updown", a.resblock_updown);
  read(j, "use_new_attention_order", a.use_new_attention_order);
  return a;
}

nn::ClipConfig clip_config_from_json(const nlohmann::json& j) {
  nn::ClipConfig c;
  read(j, "embed_dim", c.embed_dim);
  read(j, "image_resolution", c.image_resolution);
  read(j, "vision_layers", c.vision_layers);
  read(j, "vision_width", c.vision_width);
  read(j, "vision_patch_size", c.vision_patch_size);
  read(j, "context_length", c.context_length);
  read(j, "vocab_size", c.vocab_size);
  read(j, "transformer_width", c.transformer_width);
  read(j, "transformer_heads", c.transformer_heads);
  read(j, "transformer_layers", c.transformer_layers);
  return c;
}

diffusion::DiffusionConfig diffusion_config_from_json(const nlohmann::json& j) {
  diffusion::DiffusionConfig d;
  read(j, "steps", d.steps);
  read(j, "diffusion_steps", d.steps);
  read(j, "noise_schedule", d.noise_schedule);
  read(j, "timestep_respacing", d.timestep_respacing);
  read(j, "learn_sigma", d.learn_sigma);
  read(j, "sigma_small", d.sigma_small);
  read(j, "predict_xstart", d.predict_xstart);
  read(j, "rescale_timesteps", d.rescale_timesteps);
  return d;
}

nlohmann::json to_json(const nn::CreateModelArgs& a) {
  return {{"image_size", a.image_size}, {"num_channels", a.num_channels},
          {"num_res_blocks", a.num_res_blocks}, {"channel_mult", a.channel_mult},
          {"attention_resolutions", a.attention_resolutions}, {"num_heads", a.num_heads},
          {"num_head_channels", a.num_head_channels}, {"num_heads_upsample", a.num_heads_upsample},
          {"learn_sigma", a.learn_sigma}, {"class_cond", a.class_cond},
          {"use_scale_shift_norm", a.use_scale_shift_norm}, {"dropout", a.dropout},
          {"resblock_updown", a.resblock_updown}, {"use_new_attention_order", a.use_new_attention_order}};
}

nlohmann::json to_json(const nn::ClipConfig& c) {
  return {{"embed_dim", c.embed_dim}, {"image_resolution", c.image_resolution},
          {"vision_layers", c.vision_layers}, {"vision_width", c.vision_width},
          {"vision_patch_size", c.vision_patch_size}, {"context_length", c.context_length},
          {"vocab_size", c.vocab_size}, {"transformer_width", c.transformer_width},
          {"transformer_heads", c.transformer_heads}, {"transformer_layers", c.transformer_layers}};
}

nlohmann::json to_json(const diffusion::DiffusionConfig& d) {
  return {{"steps", d.steps}, {"noise_schedule", d.noise_schedule},
          {"timestep_respacing", d.timestep_respacing}, {"learn_sigma", d.learn_sigma},
          {"sigma_small", d.sigma_small}, {"predict_xstart", d.predict_xstart},
          {"rescale_timesteps", d.rescale_timesteps}};
}

}  // namespace bd::io
