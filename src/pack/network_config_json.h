#pragma once
// The networks' and the diffusion's hyper-parameters (bd/network_config.h) from JSON and
// back, under the original code's argument names, as model packs and the reference
// vectors' sidecars write them. Keys a section does not know are ignored (the sidecars
// carry use_fp16, use_kl, ...); known keys are checked for type and range.
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "bd/network_config.h"
#include "pack/json_fields.h"

namespace bd::pack {

// Each reads the section `j` found at `path` into `out` (absent keys keep its values),
// adding every problem to `problems`. The UNet's lists (channel_mult, ...) and the noise
// schedule are checked as the networks will read them.
void read_create_model_args(const nlohmann::json& j, const std::string& path, CreateModelArgs& out,
                            JsonProblems& problems);
void read_clip_config(const nlohmann::json& j, const std::string& path, ClipConfig& out,
                      JsonProblems& problems);
// Accepts create_gaussian_diffusion's names ("steps" or "diffusion_steps", ...).
void read_diffusion_config(const nlohmann::json& j, const std::string& path, DiffusionConfig& out,
                           JsonProblems& problems);

// For JSON outside a pack (sidecars, benchmark configs): throw bd::Error(ModelFiles)
// listing every problem, naming `source`.
CreateModelArgs create_model_args_from_json(const nlohmann::json& j,
                                            const std::string& source = "create_model");
ClipConfig clip_config_from_json(const nlohmann::json& j,
                                 const std::string& source = "clip config");
DiffusionConfig diffusion_config_from_json(const nlohmann::json& j,
                                           const std::string& source = "diffusion");

nlohmann::json to_json(const CreateModelArgs& args);
nlohmann::json to_json(const ClipConfig& config);
nlohmann::json to_json(const DiffusionConfig& config);

}  // namespace bd::pack
