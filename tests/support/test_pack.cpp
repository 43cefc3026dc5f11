#include "test_pack.h"

#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "bd/image.h"
#include "core/sha256.h"
#include "io/safetensors.h"
#include "io/tensor_file.h"
#include "nn/layers.h"
#include "test_support.h"

namespace bd::test {

namespace {

void write_weights(const std::string& from, const std::string& to) {
  auto tensors = nn::strip_prefix(io::read_tensor_file(from).tensors, "sd.");
  for (auto& t : tensors) t.tensor = t.tensor.to(torch::kFloat32);
  io::write_safetensors(to, tensors);
}

}  // namespace

std::string make_reference_test_pack(const std::string& dir) {
  std::filesystem::create_directories(dir);
  const std::string ref = refvectors_dir();
  write_weights(ref + "/unet_dev.pt", dir + "/unet.safetensors");
  write_weights(ref + "/clip_dev.pt", dir + "/clip.safetensors");
  std::ofstream(dir + "/merges.txt") << "#version: test\nr e\nre d</w>\nb l\nu e</w>\n";
  const auto unet_meta = read_sidecar(ref + "/unet_dev.pt");
  const auto clip_meta = read_sidecar(ref + "/clip_dev.pt");
  const nlohmann::json pack = {
      {"format", "blendiff-pack/1"}, {"name", "reference-test"}, {"image_size", 32},
      {"unet", {{"file", "unet.safetensors"}, {"sha256", core::sha256_file(dir + "/unet.safetensors")},
                {"create_model", unet_meta.at("create_model_kwargs")}}},
      {"clip", {{"file", "clip.safetensors"}, {"config", clip_meta.at("clip_kwargs")}}},
      {"tokenizer", {{"file", "merges.txt"}, {"context_length", 77}}},
      {"diffusion", {{"steps", 1000}, {"noise_schedule", "linear"}, {"learn_sigma", true}}},
      {"defaults", {{"timestep_respacing", "10"}, {"skip_timesteps", 4}, {"clip_lambda", 100.0},
                    {"batch_size", 2}, {"iterations", 1}, {"aug_num", 3}, {"feather_px", 2}}}};
  std::ofstream(dir + "/pack.json") << pack.dump(1);
  return dir;
}

void make_test_scene(const std::string& dir) {
  std::filesystem::create_directories(dir);
  save_image(dir + "/image.png", pattern_image(60, 44, 3));
  save_image(dir + "/mask.png", rect_mask(60, 44, 20, 10, 34, 26));
  save_image(dir + "/empty_mask.png", rect_mask(60, 44, 0, 0, 0, 0));
  save_image(dir + "/small_mask.png", rect_mask(16, 16, 4, 4, 10, 10));
}

}  // namespace bd::test
