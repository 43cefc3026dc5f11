#include "pack/network_config_json.h"

#include <nlohmann/json.hpp>

#include "bd/error.h"
#include "diffusion/schedule.h"
#include "nn/unet_config.h"

namespace bd::pack {

namespace {

// Far above any published network, low enough that no product of two overflows.
constexpr int64_t kMaxSize = int64_t{1} << 20;
// Past this, a schedule's tables alone take more memory than a network's weights.
constexpr int64_t kMaxSteps = 100000;

template <typename Section, typename Read>
Section read_or_throw(const nlohmann::json& j, const std::string& source, Read read) {
  Section out;
  JsonProblems problems(source);
  if (require_object(j, "", problems)) read(j, "", out, problems);
  if (!problems.empty())
    problems.raise(source + ": " + std::to_string(problems.size()) + " invalid setting(s):");
  return out;
}

}  // namespace

void read_create_model_args(const nlohmann::json& j, const std::string& path, CreateModelArgs& a,
                            JsonProblems& problems) {
  const std::size_t before = problems.size();
  read_int(j, path, "image_size", a.image_size, 1, kMaxSize, problems);
  read_int(j, path, "num_channels", a.num_channels, 1, kMaxSize, problems);
  read_int(j, path, "num_res_blocks", a.num_res_blocks, 1, 1024, problems);
  read_string(j, path, "channel_mult", a.channel_mult, problems);
  read_string(j, path, "attention_resolutions", a.attention_resolutions, problems);
  read_int(j, path, "num_heads", a.num_heads, 1, kMaxSize, problems);
  read_int(j, path, "num_head_channels", a.num_head_channels, -1, INT64_MAX, problems);
  read_int(j, path, "num_heads_upsample", a.num_heads_upsample, -1, INT64_MAX, problems);
  for (const char* key : {"num_head_channels", "num_heads_upsample"})
    if (j.contains(key) && j.at(key) == 0)
      problems.expected(join_path(path, key), "-1 or a positive integer", 0);
  read_bool(j, path, "learn_sigma", a.learn_sigma, problems);
  read_bool(j, path, "class_cond", a.class_cond, problems);
  read_bool(j, path, "use_scale_shift_norm", a.use_scale_shift_norm, problems);
  read_number(j, path, "dropout", a.dropout, 0.0, 1.0, problems);
  read_bool(j, path, "resblock_updown", a.resblock_updown, problems);
  read_bool(j, path, "use_new_attention_order", a.use_new_attention_order, problems);
  if (problems.size() != before) return;
  // The lists are strings ("32,16,8"); the network's own reading of them is the check.
  try {
    nn::unet_config_from_args(a);
  } catch (const Error& e) {
    problems.add(path, e.what());
  }
}

void read_clip_config(const nlohmann::json& j, const std::string& path, ClipConfig& c,
                      JsonProblems& problems) {
  const std::size_t before = problems.size();
  read_int(j, path, "embed_dim", c.embed_dim, 1, kMaxSize, problems);
  read_int(j, path, "image_resolution", c.image_resolution, 1, kMaxSize, problems);
  read_int(j, path, "vision_layers", c.vision_layers, 1, 1024, problems);
  read_int(j, path, "vision_width", c.vision_width, 1, kMaxSize, problems);
  read_int(j, path, "vision_patch_size", c.vision_patch_size, 1, kMaxSize, problems);
  read_int(j, path, "context_length", c.context_length, 2, 4096, problems);
  read_int(j, path, "vocab_size", c.vocab_size, 1, kMaxSize, problems);
  read_int(j, path, "transformer_width", c.transformer_width, 1, kMaxSize, problems);
  read_int(j, path, "transformer_heads", c.transformer_heads, 1, kMaxSize, problems);
  read_int(j, path, "transformer_layers", c.transformer_layers, 1, 1024, problems);
  if (problems.size() == before && c.transformer_width % c.transformer_heads != 0)
    problems.add(join_path(path, "transformer_heads"),
                 std::to_string(c.transformer_heads) + " heads do not divide transformer_width " +
                     std::to_string(c.transformer_width));
}

void read_diffusion_config(const nlohmann::json& j, const std::string& path, DiffusionConfig& d,
                           JsonProblems& problems) {
  const std::size_t before = problems.size();
  read_int(j, path, "steps", d.steps, 1, kMaxSteps, problems);
  read_int(j, path, "diffusion_steps", d.steps, 1, kMaxSteps, problems);
  read_string(j, path, "noise_schedule", d.noise_schedule, problems);
  read_string(j, path, "timestep_respacing", d.timestep_respacing, problems);
  read_bool(j, path, "learn_sigma", d.learn_sigma, problems);
  read_bool(j, path, "sigma_small", d.sigma_small, problems);
  read_bool(j, path, "predict_xstart", d.predict_xstart, problems);
  read_bool(j, path, "rescale_timesteps", d.rescale_timesteps, problems);
  if (problems.size() != before) return;
  try {
    diffusion::named_beta_schedule(d.noise_schedule, d.steps);
  } catch (const Error& e) {
    problems.add(join_path(path, "noise_schedule"), e.what());
  }
}

CreateModelArgs create_model_args_from_json(const nlohmann::json& j, const std::string& source) {
  return read_or_throw<CreateModelArgs>(j, source, read_create_model_args);
}

ClipConfig clip_config_from_json(const nlohmann::json& j, const std::string& source) {
  return read_or_throw<ClipConfig>(j, source, read_clip_config);
}

DiffusionConfig diffusion_config_from_json(const nlohmann::json& j, const std::string& source) {
  return read_or_throw<DiffusionConfig>(j, source, read_diffusion_config);
}

nlohmann::json to_json(const CreateModelArgs& a) {
  return {{"image_size", a.image_size},
          {"num_channels", a.num_channels},
          {"num_res_blocks", a.num_res_blocks},
          {"channel_mult", a.channel_mult},
          {"attention_resolutions", a.attention_resolutions},
          {"num_heads", a.num_heads},
          {"num_head_channels", a.num_head_channels},
          {"num_heads_upsample", a.num_heads_upsample},
          {"learn_sigma", a.learn_sigma},
          {"class_cond", a.class_cond},
          {"use_scale_shift_norm", a.use_scale_shift_norm},
          {"dropout", a.dropout},
          {"resblock_updown", a.resblock_updown},
          {"use_new_attention_order", a.use_new_attention_order}};
}

nlohmann::json to_json(const ClipConfig& c) {
  return {{"embed_dim", c.embed_dim},
          {"image_resolution", c.image_resolution},
          {"vision_layers", c.vision_layers},
          {"vision_width", c.vision_width},
          {"vision_patch_size", c.vision_patch_size},
          {"context_length", c.context_length},
          {"vocab_size", c.vocab_size},
          {"transformer_width", c.transformer_width},
          {"transformer_heads", c.transformer_heads},
          {"transformer_layers", c.transformer_layers}};
}

nlohmann::json to_json(const DiffusionConfig& d) {
  return {{"steps", d.steps},
          {"noise_schedule", d.noise_schedule},
          {"timestep_respacing", d.timestep_respacing},
          {"learn_sigma", d.learn_sigma},
          {"sigma_small", d.sigma_small},
          {"predict_xstart", d.predict_xstart},
          {"rescale_timesteps", d.rescale_timesteps}};
}

}  // namespace bd::pack
