#pragma once
// The ToyWorld latent pack's networks and its files: a diffusers StableDiffusionPipeline
// folder (model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/), read by
// the same loaders as real Stable Diffusion folders, plus Blendiff's pack.json.
#include <nlohmann/json.hpp>

#include <string>

#include "nn/clip_text_hf.h"
#include "nn/sd_unet.h"
#include "nn/vae.h"
#include "text/clip_tokenizer.h"

namespace bd::toyworld {

struct LatentArchitecture {
  int image_size = 64;  // scenes; latents are image_size / 4
  nn::AutoencoderKLConfig vae;
  nn::UNet2DConditionConfig unet;  // cross_attention_dim is set from the text encoder
};

// The shipped pack (notes in latent_pack.cpp) and a few-kilobyte variant for tests.
LatentArchitecture latent_architecture();
LatentArchitecture tiny_latent_architecture();

// pack.json's {"file": relative, "sha256", "bytes"} of out_dir/relative.
nlohmann::ordered_json pack_file_entry(const std::string& out_dir, const std::string& relative);

// diffusers' and transformers' config.json contents for these networks.
nlohmann::ordered_json unet_config_json(const nn::UNet2DConditionConfig& c);
nlohmann::ordered_json vae_config_json(const nn::AutoencoderKLConfig& c);
nlohmann::ordered_json text_encoder_config_json(const nn::CLIPTextConfig& c, int64_t bos,
                                                int64_t projection_dim);

// What the export writes besides the networks' weights.
struct LatentPackFiles {
  double scaling_factor = 1.0;         // vae/config.json scaling_factor
  std::string merges_path;             // tokenizer/merges.txt is a copy
  int context_length = 32;             // text_encoder max_position_embeddings
  std::string ranking_clip_path;       // copied to clip.safetensors ("" for none)
  nlohmann::json ranking_clip_config;  // pack.json "clip.config" of that CLIP
  nlohmann::ordered_json training;     // pack.json "training"
};

// Writes the whole folder into `out_dir`; every file is replaced atomically and pack.json
// last, so a reader never sees a pack.json whose checksums do not match.
void export_latent_pack(const std::string& out_dir, const LatentArchitecture& arch,
                        nn::UNet2DConditionModel& unet, nn::AutoencoderKL& vae,
                        nn::CLIPTextModel& text_encoder, const text::ClipTokenizer& tokenizer,
                        const LatentPackFiles& files);

}  // namespace bd::toyworld
