#pragma once
// Measures whether an exported latent pack's UNet uses its text: ε-prediction error on
// held-out scenes given a caption true of the scene and given the same caption with another
// shape (or another colour), and the empty caption. Reads the pack through the same loaders
// as Stable Diffusion folders.
#include <string>

namespace bd::toyworld {

struct LatentConditioningReport {
  int scenes = 0;
  double mse_true = 0, mse_wrong_shape = 0, mse_wrong_colour = 0, mse_empty = 0;
  // Scenes whose true caption gives a lower error than the wrong-shape caption.
  double shape_preference = 0, colour_preference = 0;
};

LatentConditioningReport evaluate_latent_conditioning(const std::string& pack_dir, int scenes);

}  // namespace bd::toyworld
