#pragma once
// blendiff-train latent: trains the ToyWorld latent pack in two phases, the AutoencoderKL
// first, then (with the VAE frozen and its latent scaling factor measured) the
// text-conditional UNet on the ToyWorld CLIP's frozen text tower. Checkpoints into a work
// folder (weights, optimizer moments, step counters) and, once the UNet phase has begun,
// exports the whole pack at every checkpoint, so a usable pack exists whenever it stops.
#include <atomic>
#include <cstdint>
#include <string>

namespace bd::toyworld {

struct LatentTrainOptions {
  std::string out_dir = "models/toyworld-latent";
  std::string work_dir = "toyworld-latent-work";
  // The pixel pack whose CLIP gives the frozen text encoder, the tokenizer and the
  // ranking CLIP (pack.json, clip.safetensors, merges.txt).
  std::string clip_pack_dir = "models/toyworld";
  bool resume = false;
  int64_t vae_steps = 3000;
  int64_t unet_steps = 20000;
  int64_t vae_batch = 8;
  int64_t unet_batch = 32;
  int64_t pool_scenes = 16384;  // scenes encoded once for the UNet phase
  std::uint64_t seed = 1;
  double minutes = 0;  // wall-clock budget over all sittings (0: none)
  double checkpoint_minutes = 4;
  double log_seconds = 30;
  bool tiny = false;
  std::string kind = "full";  // pack.json training.kind
  std::string command;        // recorded in pack.json
};

struct LatentTrainResult {
  int64_t vae_steps = 0, unet_steps = 0;
  double wall_minutes = 0;                           // over all sittings
  double vae_steps_per_s = 0, unet_steps_per_s = 0;  // this sitting
  double vae_loss = 0, vae_l1 = 0, vae_kl = 0;       // means over the last log window
  double unet_loss = 0;
  double scaling_factor = 0;  // 0 until the VAE phase has ended
  double vae_psnr = 0;        // held-out scenes, measured when the VAE phase ended
  bool exported = false;
};

// `stop` (may be null) is polled between steps; a stop checkpoints (and exports) first.
// Throws bd::Error on unusable options or a checkpoint that does not match them.
LatentTrainResult train_toyworld_latent(const LatentTrainOptions& options,
                                        const std::atomic<bool>* stop = nullptr);

}  // namespace bd::toyworld
