#include "pack/diffusers_folder.h"

#include <torch/torch.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "bd/error.h"
#include "core/log.h"
#include "pack/diffusers_config.h"
#include "io/state_dict.h"
#include "nn/layers.h"

namespace bd::pack {

using namespace io;  // the file readers these build on

namespace fs = std::filesystem;

namespace {
// The single-file names a component's weights may have, in order of preference.
std::vector<std::string> single_files(const std::string& stem) {
  return {stem + ".safetensors", stem + ".fp16.safetensors", stem + ".bin"};
}

bool has_weights(const std::string& dir, const std::string& stem) {
  for (const auto& name : single_files(stem))
    if (fs::is_regular_file(fs::path(dir) / name)) return true;
  return fs::is_regular_file(fs::path(dir) / (stem + ".safetensors.index.json"));
}
}  // namespace

std::vector<std::string> component_weight_files(const std::string& dir, const std::string& stem) {
  const std::vector<std::string> singles = single_files(stem);
  for (const auto& name : singles)
    if (fs::is_regular_file(fs::path(dir) / name)) return {(fs::path(dir) / name).string()};
  const std::string index = stem + ".safetensors.index.json";
  if (fs::is_regular_file(fs::path(dir) / index)) {
    const nlohmann::json j = read_json_file((fs::path(dir) / index).string());
    if (!j.contains("weight_map") || !j.at("weight_map").is_object())
      throw Error(ErrorKind::ModelFiles, index + ": no weight_map object");
    std::set<std::string> shards;
    for (const auto& [key, file] : j.at("weight_map").items()) {
      if (!file.is_string())
        throw Error(ErrorKind::ModelFiles, index + ": " + key + " names no file");
      shards.insert((fs::path(dir) / file.get<std::string>()).string());
    }
    return {shards.begin(), shards.end()};
  }
  throw Error(ErrorKind::ModelFiles, dir + " has no weights (looked for " + singles[0] + ", " +
                                         singles[1] + ", " + singles[2] + ", " + index + ")");
}

std::vector<TensorFile> read_component_weights(const std::string& dir, const std::string& stem) {
  std::vector<TensorFile> files;
  for (const auto& path : component_weight_files(dir, stem))
    files.push_back(read_tensor_file(path));
  return files;
}

namespace {

std::vector<NamedTensor> all_tensors(const std::vector<TensorFile>& files) {
  std::vector<NamedTensor> out;
  for (const auto& f : files) out.insert(out.end(), f.tensors.begin(), f.tensors.end());
  return out;
}

// Reads dir/config.json with `parse`, builds the network, fills it from the weights
// (the first of `stems` present), freezes it and moves it to `device`.
template <typename Net, typename Parse>
Net load_component(const std::string& dir, const std::vector<std::string>& stems, Parse parse,
                   const torch::Device& device, const LoadOptions& options, const char* what) {
  try {
    const std::string config_path = (fs::path(dir) / "config.json").string();
    const nlohmann::json j = read_json_file(config_path);
    const auto config = [&] {
      try {
        return parse(j);
      } catch (const Error& e) {
        throw e.with_context(config_path);
      }
    }();
    std::string stem = stems.front();  // when none is present, the error names the first
    for (const auto& s : stems)
      if (has_weights(dir, s)) {
        stem = s;
        break;
      }
    const std::vector<TensorFile> files = read_component_weights(dir, stem);
    Net net(config);
    load_frozen(*net, all_tensors(files), files.size() == 1 ? files[0].path : dir, options, device);
    log::nn()->info("{} from {}: {} ({} parameters) on {}", what, dir, config.to_string(),
                    nn::parameter_count(*net), device.str());
    return net;
  } catch (...) {
    nn::rethrow_with_stage(std::string("loading ") + what + " from " + dir);
  }
}

}  // namespace

void load_frozen(torch::nn::Module& net, const std::vector<NamedTensor>& tensors,
                 const std::string& source, const LoadOptions& options,
                 const torch::Device& device) {
  load_state_dict(net, tensors, source, options);
  nn::freeze(net);
  net.to(device);
}

nn::UNet2DConditionModel load_unet2d_condition(const std::string& dir,
                                               const torch::Device& device) {
  return load_component<nn::UNet2DConditionModel>(dir, {"diffusion_pytorch_model"},
                                                  unet2d_condition_config_from_json, device, {},
                                                  "UNet2DConditionModel");
}

nn::AutoencoderKL load_autoencoder_kl(const std::string& dir, const torch::Device& device) {
  LoadOptions options;
  options.rename = nn::vae_key_from_legacy;
  return load_component<nn::AutoencoderKL>(dir, {"diffusion_pytorch_model"},
                                           autoencoder_kl_config_from_json, device, options,
                                           "AutoencoderKL");
}

nn::CLIPTextModel load_clip_text_model(const std::string& dir, const torch::Device& device) {
  LoadOptions options;
  options.rename = nn::clip_text_key;
  return load_component<nn::CLIPTextModel>(dir, {"model", "pytorch_model"},
                                           clip_text_config_from_json, device, options,
                                           "CLIPTextModel");
}

}  // namespace bd::pack
