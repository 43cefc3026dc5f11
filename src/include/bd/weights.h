#pragma once
// Torch-free view of a weight file, for `blendiff-cli models inspect` and the GUI.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bd {

struct TensorInfo {
  std::string name;
  std::string dtype;  // "float32", "float16", ...
  std::vector<int64_t> shape;
  int64_t numel = 0;
};

struct WeightFileSummary {
  std::string path;
  std::string format;  // "safetensors", "PyTorch checkpoint (zip)", ...
  std::vector<TensorInfo> tensors;  // file order
  int64_t total_elements = 0;
  std::map<std::string, std::string> metadata;
};

// Throws bd::Error(ModelFiles) naming the file and the problem.
WeightFileSummary inspect_weight_file(const std::string& path);

}  // namespace bd
