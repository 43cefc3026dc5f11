#pragma once
// A model pack: a folder with pack.json naming the network files, their architectures,
// SHA-256 sums and the edit defaults that suit these models. A "blended" pack holds the
// ADM UNet, CLIP and its tokenizer; a "blended-latent" pack holds Stable Diffusion's UNet,
// VAE and text encoder (each inside its diffusers component folder, config.json beside it,
// or all three in one single-file checkpoint), a tokenizer and optionally a CLIP to rank.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bd/edit_params.h"
#include "bd/network_config.h"

namespace bd {

struct PackFile {
  std::string role;    // "unet", "clip", "tokenizer", "vae", "text_encoder", …
  std::string path;    // absolute or relative to the pack folder, as resolved
  std::string sha256;  // expected, lower-case hex; "" when the manifest gives none
  int64_t bytes = -1;  // expected size; -1 when unknown
  std::string source;  // where users get it (published packs), for messages
  // Other files accepted in its place (e.g. the Hugging Face CLIP safetensors for OpenAI's
  // TorchScript archive). When `path` is absent and one of these exists, load_model_pack
  // puts that one here and the others, the manifest's first choice included, in this list.
  std::vector<PackFile> alternatives;
};

// How a pack edits (pack.json "method"): the sampler its networks serve.
enum class PackMethod {
  Blended,        // "blended", the default: pixel-space Blended Diffusion, CLIP-guided ADM UNet
  BlendedLatent,  // "blended-latent": Blended Latent Diffusion (VAE + text-conditional UNet)
};
// "blended", "blended-latent".
std::string method_name(PackMethod method);

struct ModelPack {
  std::string dir;
  std::string name;
  std::string title;
  std::string description;
  int image_size = 256;
  PackFile unet, clip, tokenizer;  // clip: optional in a latent pack (then no ranking)
  // "blended-latent" only. vae, text_encoder: like unet, a weights file inside its
  // diffusers component folder; or `checkpoint`, one single file with all three (then
  // unet, vae and text_encoder are empty). scheduler: scheduler_config.json, optional
  // (absent: the reference's DDIM settings).
  PackFile vae, text_encoder, scheduler, checkpoint;
  // Optional LPIPS(vgg) weights for the local baseline's background loss: one file
  // holding both parts, or torchvision's vgg16-397923af.pth and lpips' v0.1 vgg.pth.
  // Empty when the pack has none; declared files are checked like the others.
  std::vector<PackFile> lpips;
  int context_length = 77;
  // pack.json "speed": {"cpu_seconds_per_step": s, "cpu_threads": n}: one guided step of
  // one candidate at the pack's defaults, measured on n CPU threads; 0 when not given. The
  // editor asks before an edit this figure says will be long.
  double cpu_seconds_per_step = 0.0;
  int cpu_threads = 1;
  PackMethod method = PackMethod::Blended;
  // pack.json "unet.create_model": what the weights' shapes cannot tell (heads, attention
  // order). Absent: the published checkpoints' 64-channel heads and legacy order.
  std::optional<CreateModelArgs> unet_args;
  // pack.json "clip.config": the text tower's head count, which shapes cannot tell.
  // Absent: every published CLIP's 64-wide heads.
  std::optional<ClipConfig> clip_config;
  bool has_clip() const { return !clip.path.empty(); }
  // pack.json "diffusion"; its timestep_respacing is replaced by each edit's.
  DiffusionConfig diffusion;
  EditParams defaults;  // the reference's defaults overridden by the pack's
};

// Reads and checks DIR/pack.json, every section. Throws bd::Error(ModelFiles) listing
// every problem at once, each naming the file and the JSON path at fault.
ModelPack load_model_pack(const std::string& dir);

struct PackCheck {
  std::string role;
  std::string path;
  bool ok = false;
  std::string problem;  // "missing", "size 12 bytes, expected 34", "SHA-256 differs", ...
};

// Checks every file exists with the right size and SHA-256 (hash_files false: size only).
std::vector<PackCheck> verify_model_pack(const ModelPack& pack, bool hash_files = true);

}  // namespace bd
