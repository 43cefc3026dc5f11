#pragma once
// Files written by torch.save: the zip format (torch >= 1.6) and the legacy format
// (a run of pickles followed by raw storages), read without executing any code.
#include <string>

#include "io/mapped_file.h"
#include "io/tensor_file.h"

namespace bd::io {

// Zip-format checkpoint (already known to be a ZIP without TorchScript code).
TensorFile read_torch_zip(const std::shared_ptr<MappedFile>& file);
// Legacy checkpoint: starts with a protocol-2 pickle of the legacy magic number.
TensorFile read_torch_legacy(const std::shared_ptr<MappedFile>& file);
bool looks_like_torch_legacy(const std::uint8_t* data, std::size_t size);

}  // namespace bd::io
