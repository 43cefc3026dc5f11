#pragma once
// Network and diffusion settings from JSON, in the original code's own argument names
// (create_model kwargs, CLIP's build_model kwargs, create_gaussian_diffusion kwargs), as
// model packs (pack.json) and the reference vectors' sidecars write them.
#include <nlohmann/json_fwd.hpp>

#include "diffusion/gaussian_diffusion.h"
#include "nn/clip.h"
#include "nn/unet.h"

namespace bd::io {

// Keys absent from `j` keep the defaults (the published checkpoints'). Wrong types or
// values throw bd::Error(ModelFiles) naming the key.
nn::CreateModelArgs create_model_args_from_json(const nlohmann::json& j);
nn::ClipConfig clip_config_from_json(const nlohmann::json& j);
// Accepts create_gaussian_diffusion's names ("steps" or "diffusion_steps", ...).
diffusion::DiffusionConfig diffusion_config_from_json(const nlohmann::json& j);

nlohmann::json to_json(const nn::CreateModelArgs& args);
nlohmann::json to_json(const nn::ClipConfig& config);
nlohmann::json to_json(const diffusion::DiffusionConfig& config);

}  // namespace bd::io
