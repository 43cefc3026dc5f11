#pragma once
// Every knob of one edit. Defaults are the official Blended Diffusion command line's;
// a model pack may override them (ToyWorld wants a CLIP weight of ~100, not 1000).
#include <cstdint>
#include <string>

namespace bd {

enum class FidelityMode {
  Product,    // each candidate reproducible from its own seed; random CLIP views
  Reference,  // the official loop's quirks: shared background noise across the batch,
              // the unscale_timestep round trip (reference-spec §2.10, §9)
};

struct EditParams {
  // Sampling.
  std::string timestep_respacing = "100";
  int skip_timesteps = 25;  // edit strength: fewer skipped steps = stronger change
  bool ddim = false;
  int batch_size = 4;
  int iterations = 8;
  std::uint64_t seed = 404;
  // Guidance.
  int aug_num = 8;                  // CLIP views per candidate, the first one plain
  bool random_augmentations = true; // false: all views plain
  double clip_lambda = 1000.0;
  double range_lambda = 50.0;
  double l2_lambda = 10000.0;       // background preservation, local mode only
  double lpips_lambda = 1000.0;     // local mode, needs LPIPS weights in the pack
  // Modes.
  bool local_mode = false;          // local CLIP-guided diffusion baseline (no blending)
  bool enforce_background = true;   // paste the original background at the end
  FidelityMode fidelity = FidelityMode::Product;
  // Region (full-resolution pixels).
  bool invert_mask = false;
  int grow_px = 0;
  int feather_px = 4;
  double padding = 0.25;            // context around the mask, fraction of its box
  // Feedback.
  int preview_every = 5;            // steps between previews; 0: none
};

// Checks ranges; returns "" when valid, else a message naming the parameter and the
// valid range ("batch_size must be in [1, 64], got 0").
std::string validate(const EditParams& params);

}  // namespace bd
