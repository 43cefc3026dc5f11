#pragma once
// blendiff-train's engine: learns the BPE merges from the caption corpus, then trains the
// ToyWorld UNet and CLIP interleaved (each kept at the same fraction of its step target),
// checkpoints into a work folder and exports a complete model pack at every checkpoint,
// so a usable pack exists whenever training stops.
#include <atomic>
#include <cstdint>
#include <string>

#include "diffusion/gaussian_diffusion.h"
#include "nn/clip.h"
#include "nn/unet.h"

namespace bd::toyworld {

struct PackArchitecture {
  nn::CreateModelArgs unet;
  nn::ClipConfig clip;  // vocab_size is set from the learned merges
};

// The shipped pack: see models/toyworld/pack.json and the notes in trainer.cpp.
PackArchitecture pack_architecture();
// A few-kilobyte variant for tests.
PackArchitecture tiny_architecture();
diffusion::DiffusionConfig training_diffusion();

struct TrainOptions {
  std::string out_dir = "models/toyworld";
  std::string work_dir = "toyworld-work";  // checkpoint, merges, CSV log
  bool resume = false;
  int64_t unet_steps = 12000;
  int64_t clip_steps = 4000;
  int64_t unet_batch = 32;
  int64_t clip_batch = 128;
  std::uint64_t seed = 1;
  double minutes = 0;  // wall-clock budget over all sittings (0: none)
  double checkpoint_minutes = 4;
  double log_seconds = 30;
  bool tiny = false;
  // The CLIP weight pack.json recommends for edits. It depends on the trained networks, so
  // it is chosen after training by a sweep on validation seeds (models/toyworld/BENCHMARK.md)
  // and written by a resumed sitting with nothing left to train.
  double edit_clip_lambda = 100;
  std::string kind = "full";  // pack.json training.kind: "full", "smoke", "test"
  std::string command;        // recorded in pack.json
};

struct TrainResult {
  int64_t unet_steps = 0, clip_steps = 0;
  double wall_minutes = 0;                            // over all sittings
  double unet_steps_per_s = 0, clip_steps_per_s = 0;  // this sitting
  double unet_loss = 0, unet_mse = 0, unet_vb = 0;    // means over the last log window
  double clip_loss = 0, clip_accuracy = 0, clip_shape_accuracy = 0;
};

// `stop` (may be null) is polled between steps; a stop checkpoints and exports first.
// Throws bd::Error on unusable options or a checkpoint that does not match them.
TrainResult train_toyworld(const TrainOptions& options, const std::atomic<bool>* stop = nullptr);

}  // namespace bd::toyworld
