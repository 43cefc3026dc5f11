#include "demo_scene.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bd/error.h"
#include "bd/paths.h"

namespace bd::cli {

DemoScene find_demo_scene() {
  const std::string dir = samples_dir();
  const std::filesystem::path manifest = std::filesystem::path(dir) / "demo.json";
  std::ifstream in(manifest);
  if (dir.empty() || !in)
    throw Error(ErrorKind::ModelFiles, "the demo scene is not installed (no samples/demo.json near the program)");
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("image") || !j.contains("mask") || !j.contains("prompt"))
    throw Error(ErrorKind::ModelFiles, manifest.string() + ": needs \"image\", \"mask\" and \"prompt\"");
  return {(std::filesystem::path(dir) / j["image"].get<std::string>()).string(),
          (std::filesystem::path(dir) / j["mask"].get<std::string>()).string(), j["prompt"].get<std::string>()};
}

}  // namespace bd::cli
