#pragma once
// Stable Diffusion network configs from the config.json files of a diffusers folder
// (unet/, vae/) and of transformers (text_encoder/), under their own field names.
#include <nlohmann/json_fwd.hpp>

#include <string>

#include "nn/clip_text_hf.h"
#include "nn/sd_unet.h"
#include "nn/vae.h"

namespace bd::pack {

// Reads and parses a JSON file; throws bd::Error(ModelFiles) naming the file.
nlohmann::json read_json_file(const std::string& path);

// Fields absent from `j` keep the SD 1.5 defaults; "int or per-level list" fields accept
// both. Options that change the network in ways this port does not implement (class
// embeddings, other time embeddings, dual cross-attention, ...) must be absent or hold
// diffusers' default. Throws bd::Error(ModelFiles) naming the field at fault.
nn::UNet2DConditionConfig unet2d_condition_config_from_json(const nlohmann::json& j);
nn::AutoencoderKLConfig autoencoder_kl_config_from_json(const nlohmann::json& j);
// transformers' CLIPTextConfig; a full CLIPConfig's "text_config" is accepted too.
nn::CLIPTextConfig clip_text_config_from_json(const nlohmann::json& j);

}  // namespace bd::pack
