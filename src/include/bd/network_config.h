#pragma once
// The hyper-parameters a model pack declares for its networks and its diffusion, under
// the reference code's own argument names (guided_diffusion create_model and
// create_gaussian_diffusion, CLIP's build_model). Plain torch-free structs: the pack
// loader fills them, bd::nn and bd::diffusion build from them.
#include <cstdint>
#include <string>

namespace bd {

// guided_diffusion script_util.create_model's arguments. Defaults: Blended Diffusion's
// 256×256 unconditional model.
struct CreateModelArgs {
  int64_t image_size = 256;
  int64_t num_channels = 256;
  int64_t num_res_blocks = 2;
  std::string channel_mult = "";  // "" -> the image size's default
  std::string attention_resolutions = "32,16,8";
  int64_t num_heads = 4;
  int64_t num_head_channels = 64;
  int64_t num_heads_upsample = -1;
  bool learn_sigma = true;
  bool class_cond = false;
  bool use_scale_shift_norm = true;
  double dropout = 0.0;
  bool resblock_updown = true;
  bool use_new_attention_order = false;
};

// CLIP's build_model arguments. Defaults: ViT-B/16, the model Blended Diffusion guides with.
struct ClipConfig {
  int64_t embed_dim = 512;
  int64_t image_resolution = 224;
  int64_t vision_layers = 12;
  int64_t vision_width = 768;
  int64_t vision_patch_size = 16;
  int64_t context_length = 77;
  int64_t vocab_size = 49408;
  int64_t transformer_width = 512;
  int64_t transformer_heads = 8;
  int64_t transformer_layers = 12;

  int64_t vision_heads() const { return vision_width / 64; }  // as CLIP's build_model
  int64_t grid() const { return image_resolution / vision_patch_size; }
  bool operator==(const ClipConfig& o) const;
  bool operator!=(const ClipConfig& o) const { return !(*this == o); }
  std::string to_string() const;
};

// create_gaussian_diffusion's arguments; defaults are Blended Diffusion's 256 model.
// use_kl / rescale_learned_sigmas only change the training loss and are not needed.
struct DiffusionConfig {
  int64_t steps = 1000;
  std::string noise_schedule = "linear";
  std::string timestep_respacing = "100";  // "" keeps every step
  bool learn_sigma = true;                 // → LearnedRange
  bool sigma_small = false;                // without learn_sigma: FixedSmall, else FixedLarge
  bool predict_xstart = false;
  bool rescale_timesteps = true;
};

}  // namespace bd
