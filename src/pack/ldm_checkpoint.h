#pragma once
// Stable Diffusion 1.x as one checkpoint file, the CompVis (ldm) layout users download
// (v1-5-pruned-emaonly.safetensors or .ckpt): the UNet under "model.diffusion_model.", the
// VAE under "first_stage_model.", the text encoder under "cond_stage_model.transformer.".
// Names map to diffusers' as diffusers' own single-file converters map them
// (loaders/single_file_utils.py); tests/data/sd15_ldm_keys.txt lists every pair for SD 1.5.
#include <torch/types.h>

#include <string>
#include <vector>

#include "io/tensor_file.h"
#include "nn/clip_text_hf.h"
#include "nn/sd_unet.h"
#include "nn/vae.h"

namespace bd::pack {

using io::NamedTensor;
using io::TensorFile;

// A UNet key without its "model.diffusion_model." prefix, in diffusers' naming; needs the
// (uniform) resnets per level. Keys that follow no ldm pattern come back unchanged, so the
// loader reports them as unexpected.
std::string unet_key_from_ldm(const std::string& key, int64_t layers_per_block);
// A VAE key without "first_stage_model."; `levels` reverses the decoder's numbering.
std::string vae_key_from_ldm(const std::string& key, int64_t levels);

struct LdmComponents {
  std::vector<NamedTensor> unet, vae, text_encoder;  // diffusers / transformers names
  size_t ignored = 0;  // EMA copies, schedule buffers and other keys outside the three
};

// Splits a single file's tensors (a .ckpt's "state_dict." wrapper removed) into the three
// networks and renames them. The VAE's attention weights, 1×1 convolutions in ldm, become
// linear ([C, C, 1, 1] -> [C, C]). Throws bd::Error(ModelFiles) for an SD 2.x file (its
// OpenCLIP text encoder is not in this layout) and for a UNet with uneven layers_per_block.
LdmComponents split_ldm_checkpoint(const std::vector<NamedTensor>& tensors,
                                   const nn::UNet2DConditionConfig& unet,
                                   const nn::AutoencoderKLConfig& vae);

// The configs a single file does not carry; the defaults are SD 1.5's.
struct SDConfigs {
  nn::UNet2DConditionConfig unet;
  nn::AutoencoderKLConfig vae;
  nn::CLIPTextConfig text_encoder;
};

struct SDNetworks {
  nn::UNet2DConditionModel unet{nullptr};
  nn::AutoencoderKL vae{nullptr};
  nn::CLIPTextModel text_encoder{nullptr};
};

// Reads the file (safetensors or torch.save), builds the three networks, loads them (every
// key and shape checked, each network's problems listed at once), freezes them and moves
// them to `device`. Errors are bd::Error prefixed "loading Stable Diffusion from <path>: ".
SDNetworks load_sd_single_file(const std::string& path, const torch::Device& device,
                               const SDConfigs& configs = {});

}  // namespace bd::pack
