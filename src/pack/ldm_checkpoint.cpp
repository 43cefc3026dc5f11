#include "pack/ldm_checkpoint.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "bd/error.h"
#include "core/log.h"
#include "pack/diffusers_folder.h"
#include "nn/layers.h"

namespace bd::pack {

using namespace io;  // the file readers these build on

namespace {

const std::string kUNet = "model.diffusion_model.";
const std::string kVAE = "first_stage_model.";
const std::string kText = "cond_stage_model.transformer.";
const std::string kOpenCLIP = "cond_stage_model.model.";

using Renames = std::vector<std::pair<std::string, std::string>>;

// guided-diffusion style ResBlock names -> diffusers ResnetBlock2D.
const Renames kResnet = {{"in_layers.0", "norm1"},          {"in_layers.2", "conv1"},
                         {"out_layers.0", "norm2"},         {"out_layers.3", "conv2"},
                         {"emb_layers.1", "time_emb_proj"}, {"skip_connection", "conv_shortcut"}};
const Renames kVaeResnet = {{"nin_shortcut", "conv_shortcut"}};
const Renames kVaeAttention = {
    {"norm", "group_norm"}, {"q", "to_q"}, {"k", "to_k"}, {"v", "to_v"}, {"proj_out", "to_out.0"}};

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// The first rename whose name is `rest` or a dotted prefix of it.
std::string rename_head(const std::string& rest, const Renames& renames) {
  for (const auto& [from, to] : renames)
    if (rest == from || starts_with(rest, from + ".")) return to + rest.substr(from.size());
  return rest;
}

std::vector<std::string> split(const std::string& key) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = key.find('.', start)) != std::string::npos; start = dot + 1)
    parts.push_back(key.substr(start, dot - start));
  parts.push_back(key.substr(start));
  return parts;
}

std::string join_from(const std::vector<std::string>& parts, size_t first) {
  std::string out;
  for (size_t i = first; i < parts.size(); ++i) out += (i > first ? "." : "") + parts[i];
  return out;
}

bool is_index(const std::string& s) {
  return !s.empty() && s.size() < 9 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

}  // namespace

std::string unet_key_from_ldm(const std::string& key, int64_t layers_per_block) {
  static const Renames simple = {{"time_embed.0", "time_embedding.linear_1"},
                                 {"time_embed.2", "time_embedding.linear_2"},
                                 {"input_blocks.0.0", "conv_in"},
                                 {"out.0", "conv_norm_out"},
                                 {"out.2", "conv_out"}};
  for (const auto& [from, to] : simple)
    if (starts_with(key, from + ".")) return to + key.substr(from.size());
  const std::vector<std::string> p = split(key);
  if (p.size() >= 3 && p[0] == "middle_block" && is_index(p[1])) {
    const std::string rest = join_from(p, 2);
    if (p[1] == "0") return "mid_block.resnets.0." + rename_head(rest, kResnet);
    if (p[1] == "1") return "mid_block.attentions.0." + rest;
    if (p[1] == "2") return "mid_block.resnets.1." + rename_head(rest, kResnet);
    return key;
  }
  if (p.size() < 4 || !is_index(p[1]) || !is_index(p[2])) return key;
  const int64_t i = std::stoll(p[1]), j = std::stoll(p[2]), per_level = layers_per_block + 1;
  const std::string rest = join_from(p, 3);
  if (p[0] == "input_blocks" && i >= 1) {
    // Each level: its resnets (with attention at .1), then its downsampler at .0.op.
    const std::string level = "down_blocks." + std::to_string((i - 1) / per_level) + ".";
    const std::string layer = std::to_string((i - 1) % per_level);
    if (j == 0 && starts_with(rest, "op.")) return level + "downsamplers.0.conv." + rest.substr(3);
    if (j == 0) return level + "resnets." + layer + "." + rename_head(rest, kResnet);
    if (j == 1) return level + "attentions." + layer + "." + rest;
  }
  if (p[0] == "output_blocks") {
    // Each level: layers_per_block + 1 resnets (attention at .1); the last one's upsampler
    // follows at .1 or, after an attention, at .2.
    const std::string level = "up_blocks." + std::to_string(i / per_level) + ".";
    const std::string layer = std::to_string(i % per_level);
    if (j == 0) return level + "resnets." + layer + "." + rename_head(rest, kResnet);
    if ((j == 1 || j == 2) && starts_with(rest, "conv.")) return level + "upsamplers.0." + rest;
    if (j == 1) return level + "attentions." + layer + "." + rest;
  }
  return key;
}

std::string vae_key_from_ldm(const std::string& key, int64_t levels) {
  const std::vector<std::string> p = split(key);
  if (p.size() < 3 || (p[0] != "encoder" && p[0] != "decoder")) return key;
  const std::string& side = p[0];
  if (p[1] == "norm_out") return side + ".conv_norm_out." + join_from(p, 2);
  if (p[1] == "mid" && p.size() >= 4) {
    const std::string rest = join_from(p, 3);
    if (p[2] == "block_1") return side + ".mid_block.resnets.0." + rename_head(rest, kVaeResnet);
    if (p[2] == "block_2") return side + ".mid_block.resnets.1." + rename_head(rest, kVaeResnet);
    if (p[2] == "attn_1")
      return side + ".mid_block.attentions.0." + rename_head(rest, kVaeAttention);
    return key;
  }
  if (p.size() < 5 || !is_index(p[2])) return key;
  const int64_t level = std::stoll(p[2]);
  if (side == "encoder" && p[1] == "down") {
    const std::string block = "encoder.down_blocks." + p[2] + ".";
    if (p[3] == "downsample") return block + "downsamplers.0." + join_from(p, 4);
    if (p[3] == "block" && is_index(p[4]))
      return block + "resnets." + p[4] + "." + rename_head(join_from(p, 5), kVaeResnet);
  }
  if (side == "decoder" && p[1] == "up" && level < levels) {
    // ldm numbers the decoder's levels from the output side, diffusers from the latent side.
    const std::string block = "decoder.up_blocks." + std::to_string(levels - 1 - level) + ".";
    if (p[3] == "upsample") return block + "upsamplers.0." + join_from(p, 4);
    if (p[3] == "block" && is_index(p[4]))
      return block + "resnets." + p[4] + "." + rename_head(join_from(p, 5), kVaeResnet);
  }
  return key;
}

LdmComponents split_ldm_checkpoint(const std::vector<NamedTensor>& tensors,
                                   const nn::UNet2DConditionConfig& unet,
                                   const nn::AutoencoderKLConfig& vae) {
  const auto& lpb = unet.layers_per_block;
  if (lpb.empty() || std::any_of(lpb.begin(), lpb.end(), [&](int64_t n) { return n != lpb[0]; }))
    throw Error(ErrorKind::ModelFiles,
                "an ldm checkpoint needs the same layers_per_block at every UNet level");
  LdmComponents out;
  for (const auto& t : tensors) {
    const std::string name = starts_with(t.name, "state_dict.") ? t.name.substr(11) : t.name;
    if (starts_with(name, kOpenCLIP))
      throw Error(ErrorKind::ModelFiles,
                  "'" + name +
                      "': an SD 2.x single file (OpenCLIP text encoder) is not supported; "
                      "use the diffusers folder");
    if (starts_with(name, kUNet)) {
      out.unet.push_back({unet_key_from_ldm(name.substr(kUNet.size()), lpb[0]), t.tensor});
    } else if (starts_with(name, kVAE)) {
      NamedTensor n{vae_key_from_ldm(name.substr(kVAE.size()), int64_t(vae.levels())), t.tensor};
      // ldm's attention projections are 1×1 convolutions: [C, C, 1, 1] -> [C, C].
      const bool projection = n.name.find(".attentions.0.to_") != std::string::npos &&
                              n.name.size() > 7 && n.name.substr(n.name.size() - 7) == ".weight";
      if (projection && n.tensor.dim() > 2 &&
          n.tensor.numel() == n.tensor.size(0) * n.tensor.size(1))
        n.tensor = n.tensor.reshape({n.tensor.size(0), n.tensor.size(1)});
      out.vae.push_back(n);
    } else if (starts_with(name, kText)) {
      out.text_encoder.push_back({name.substr(kText.size()), t.tensor});
    } else {
      ++out.ignored;
    }
  }
  return out;
}

SDNetworks load_sd_single_file(const std::string& path, const torch::Device& device,
                               const SDConfigs& configs) {
  try {
    const TensorFile file = read_tensor_file(path);
    const LdmComponents parts = split_ldm_checkpoint(file.tensors, configs.unet, configs.vae);
    SDNetworks nets;
    nets.unet = nn::UNet2DConditionModel(configs.unet);
    load_frozen(*nets.unet, parts.unet, path + " (UNet, " + kUNet + "*)", {}, device);
    nets.vae = nn::AutoencoderKL(configs.vae);
    load_frozen(*nets.vae, parts.vae, path + " (VAE, " + kVAE + "*)", {}, device);
    nets.text_encoder = nn::CLIPTextModel(configs.text_encoder);
    LoadOptions text;
    text.rename = nn::clip_text_key;
    load_frozen(*nets.text_encoder, parts.text_encoder, path + " (text encoder, " + kText + "*)",
                text, device);
    log::nn()->info(
        "Stable Diffusion from {}: UNet {}, VAE {}, text encoder {} parameters ({} "
        "other tensors ignored) on {}",
        path, nn::parameter_count(*nets.unet), nn::parameter_count(*nets.vae),
        nn::parameter_count(*nets.text_encoder), parts.ignored, device.str());
    return nets;
  } catch (...) {
    nn::rethrow_with_stage("loading Stable Diffusion from " + path);
  }
}

}  // namespace bd::pack
