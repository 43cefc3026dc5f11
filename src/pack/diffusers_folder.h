#pragma once
// Stable Diffusion components as users have them: a diffusers pipeline folder's
// unet/, vae/ and text_encoder/ subfolders, each a config.json beside its weights
// (.safetensors, fp16 variant, PyTorch .bin, or shards listed by an .index.json).
#include <torch/types.h>

#include <string>
#include <vector>

#include "io/state_dict.h"
#include "io/tensor_file.h"
#include "nn/clip_text_hf.h"
#include "nn/sd_unet.h"
#include "nn/vae.h"

namespace bd::pack {

using io::NamedTensor;
using io::TensorFile;
using io::LoadOptions;

// The weight files of a component folder: `<stem>.safetensors`, else
// `<stem>.fp16.safetensors`, else `<stem>.bin`, else the shards `<stem>.safetensors.index.json`
// names. Throws bd::Error(ModelFiles) listing the names it looked for.
std::vector<std::string> component_weight_files(const std::string& dir, const std::string& stem);

// All tensors of those files, in file order (the TensorFiles keep mapped memory alive).
std::vector<TensorFile> read_component_weights(const std::string& dir, const std::string& stem);

// Fills a built network from tensors (io::load_state_dict: every key and shape checked,
// all problems at once), freezes it (eval, no parameter gradients), moves it to `device`.
void load_frozen(torch::nn::Module& net, const std::vector<NamedTensor>& tensors,
                 const std::string& source, const LoadOptions& options,
                 const torch::Device& device);

// unet/: config.json + diffusion_pytorch_model.*. Built, loaded (every key and shape
// checked, all problems reported at once), frozen (eval, no parameter gradients), moved to
// `device`. Errors are bd::Error prefixed "loading UNet2DConditionModel from <dir>: ".
nn::UNet2DConditionModel load_unet2d_condition(const std::string& dir, const torch::Device& device);

// vae/: config.json + diffusion_pytorch_model.*; older attention key names are accepted
// (nn::vae_key_from_legacy). Errors prefixed "loading AutoencoderKL from <dir>: ".
nn::AutoencoderKL load_autoencoder_kl(const std::string& dir, const torch::Device& device);

// text_encoder/: config.json + model.* (or pytorch_model.*), keys with or without the
// "text_model." prefix. Errors prefixed "loading CLIPTextModel from <dir>: ".
nn::CLIPTextModel load_clip_text_model(const std::string& dir, const torch::Device& device);

}  // namespace bd::pack
