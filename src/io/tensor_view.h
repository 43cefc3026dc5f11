#pragma once
// Helpers shared by the readers: dtypes by name and zero-copy tensors over a mapping.
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/mapped_file.h"

namespace bd::io {

// safetensors dtype names ("F32", "BF16", ...).
std::optional<torch::ScalarType> dtype_from_safetensors(const std::string& name);
std::string dtype_to_safetensors(torch::ScalarType type);
// Short readable name for listings ("float32", "float16", ...).
std::string dtype_name(torch::ScalarType type);

// A CPU tensor over bytes owned by `owner` (a mapping or a decompressed buffer), which
// the tensor keeps alive. Copies when the address is not aligned to the element size.
torch::Tensor tensor_over(const std::shared_ptr<const void>& owner, const std::uint8_t* data,
                          const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides,
                          torch::ScalarType type);

// Checked product of sizes; nullopt on overflow or negative sizes.
std::optional<int64_t> checked_numel(const std::vector<int64_t>& sizes);

}  // namespace bd::io
