#pragma once
// Sample scenes for the editor and the headless demo: held-out ToyWorld edit cases
// rendered at a display size, each as NAME.png, NAME_mask.png and NAME.json (image,
// mask, prompt, about), the format of resources/samples/demo.json.
#include <cstdint>
#include <string>
#include <vector>

namespace bd::toyworld {

struct SampleOptions {
  int count = 4;
  int size = 256;  // pixels; the scene is drawn at this size, not upscaled
  std::uint64_t first_seed = 900001;  // below the training bit, away from the benchmark's
};

// Writes the samples into `dir` (created if needed) and returns the JSON files written.
std::vector<std::string> write_sample_scenes(const std::string& dir, const SampleOptions& options = {});

}  // namespace bd::toyworld
