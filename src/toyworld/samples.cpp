#include "toyworld/samples.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "bd/error.h"
#include "bd/image.h"
#include "io/atomic_file.h"
#include "toyworld/scene.h"

namespace bd::toyworld {

std::vector<std::string> write_sample_scenes(const std::string& dir, const SampleOptions& options) {
  if (options.count < 1 || options.size < 32)
    throw Error(ErrorKind::InvalidInput, "samples: need at least one scene of at least 32 pixels");
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  EditCaseOptions eo;
  eo.scene.size = options.size;
  eo.scene.min_objects = 1;         // something to replace in every sample
  eo.empty_area_probability = 0.0;
  // Margins scale with the picture: the 32-pixel world uses 2-4 pixels.
  eo.min_margin = options.size / 16;
  eo.max_margin = options.size / 8;
  std::vector<std::string> written;
  for (int i = 0; i < options.count; ++i) {
    const std::uint64_t seed = options.first_seed + static_cast<std::uint64_t>(i);
    const EditCase c = generate_edit_case(seed, eo);
    const std::string name = "toyworld_" + std::to_string(i + 1);
    save_image((fs::path(dir) / (name + ".png")).string(), c.scene.image);
    save_image((fs::path(dir) / (name + "_mask.png")).string(), c.mask);
    const SceneObject& o = c.scene.objects.at(static_cast<std::size_t>(c.object_index));
    const std::string phrase = object_phrase(o.colour, o.shape);  // "a red ring", "an orange square"
    nlohmann::ordered_json j{
        {"image", name + ".png"},
        {"mask", name + "_mask.png"},
        {"prompt", c.prompt},
        {"about", "A generated ToyWorld scene (seed " + std::to_string(seed) + ": " + c.scene.caption +
                      "); the mask covers the " + phrase.substr(phrase.find(' ') + 1) + "."}};
    const std::string json_path = (fs::path(dir) / (name + ".json")).string();
    io::write_file_atomically(json_path, j.dump(2) + "\n");
    written.push_back(json_path);
  }
  return written;
}

}  // namespace bd::toyworld
