#pragma once
// safetensors: 8-byte little-endian header length, a JSON header, then raw tensor data.
#include <map>
#include <string>
#include <vector>

#include "io/tensor_file.h"

namespace bd::io {

// Memory-maps the file and validates the header fully (offsets in range, no overlap,
// known dtypes, sizes consistent with shapes) before returning any tensor.
TensorFile read_safetensors(const std::string& path);

// Writes atomically (temporary file in the same folder, then rename). Tensors are made
// contiguous; names must be unique.
void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

bool looks_like_safetensors(const std::uint8_t* data, std::size_t size);

}  // namespace bd::io
