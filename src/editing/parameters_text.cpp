#include <cstdio>
#include <sstream>

#include "bd/engine.h"

namespace bd {

std::string parameters_text(const std::string& prompt, const EditParams& p, const Candidate& c,
                            const std::string& model) {
  char score[32];
  std::snprintf(score, sizeof score, "%.4f", c.score);
  std::ostringstream o;
  o << prompt << "\n"
    << "Steps: " << p.timestep_respacing << ", Skip steps: " << p.skip_timesteps
    << ", Sampler: " << (p.ddim ? "DDIM" : "DDPM") << ", Seed: " << c.seed << ", Score: " << score
    << ", Model: " << model << ", Mode: " << (p.local_mode ? "local CLIP-guided" : "blended")
    << ", CLIP lambda: " << p.clip_lambda << ", Range lambda: " << p.range_lambda
    << ", Augmentations: " << p.aug_num << ", Feather: " << p.feather_px << ", Padding: " << p.padding;
  return o.str();
}

}  // namespace bd
