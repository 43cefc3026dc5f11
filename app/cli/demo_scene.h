#pragma once
// The bundled demo: a ToyWorld sample scene, its mask and a prompt (resources/samples).
#include <string>

namespace bd::cli {

struct DemoScene {
  std::string image, mask, prompt;
};

// Reads samples/demo.json ({"image": ..., "mask": ..., "prompt": ...}) from the samples
// folder. Throws bd::Error(ModelFiles) when the samples are not installed.
DemoScene find_demo_scene();

}  // namespace bd::cli
