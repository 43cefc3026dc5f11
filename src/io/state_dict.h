#pragma once
// The one place weights enter a network: fills a torch::nn::Module from any reader's
// tensors, converting dtypes, and fails once listing every problem.
#include <torch/nn/module.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "io/tensor_file.h"

namespace bd::io {

struct LoadOptions {
  // Maps a file key to the module's key; nullopt drops the tensor (e.g. buffers the
  // module does not have, such as CLIP's input_resolution). Identity when unset.
  std::function<std::optional<std::string>(const std::string&)> rename;
};

// Throws bd::Error(ModelFiles) naming `source` and listing every missing, unexpected
// and mis-shaped key. Copies values (no aliasing of the file's memory).
void load_state_dict(torch::nn::Module& module, const std::vector<NamedTensor>& tensors,
                     const std::string& source, const LoadOptions& options = {});

}  // namespace bd::io
