#pragma once
// What every weight-file reader returns: named tensors in file order plus metadata.
#include <torch/types.h>

#include <map>
#include <string>
#include <vector>

namespace bd::io {

enum class TensorFileFormat { Safetensors, TorchZip, TorchLegacy, TorchScript };
const char* to_string(TensorFileFormat format);

struct NamedTensor {
  std::string name;
  torch::Tensor tensor;  // on CPU; may alias the memory-mapped file (read-only!)
};

struct TensorFile {
  std::string path;
  TensorFileFormat format = TensorFileFormat::Safetensors;
  std::vector<NamedTensor> tensors;
  std::map<std::string, std::string> metadata;

  const torch::Tensor* find(const std::string& name) const;
  // Throws bd::Error(ModelFiles) naming the file and the key when absent.
  const torch::Tensor& at(const std::string& name) const;
};

// Detects the format from the file's bytes (not its name) and reads it.
// Throws bd::Error(ModelFiles) naming the file and what is wrong.
TensorFile read_tensor_file(const std::string& path);

}  // namespace bd::io
