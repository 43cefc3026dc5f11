#include "io/tensor_file.h"

#include "bd/error.h"
#include "io/safetensors.h"
#include "io/torch_checkpoint.h"
#include "io/zip_archive.h"

namespace bd::io {

const char* to_string(TensorFileFormat format) {
  switch (format) {
    case TensorFileFormat::Safetensors: return "safetensors";
    case TensorFileFormat::TorchZip: return "PyTorch checkpoint (zip)";
    case TensorFileFormat::TorchLegacy: return "PyTorch checkpoint (legacy)";
    case TensorFileFormat::TorchScript: return "TorchScript archive";
  }
  return "?";
}

const torch::Tensor* TensorFile::find(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t.tensor;
  return nullptr;
}

const torch::Tensor& TensorFile::at(const std::string& name) const {
  if (const torch::Tensor* t = find(name)) return *t;
  throw Error(ErrorKind::ModelFiles, path + ": no tensor named '" + name + "'");
}

TensorFile read_tensor_file(const std::string& path) {
  auto file = MappedFile::open(path);
  const std::uint8_t* d = file->data();
  const std::size_t n = file->size();
  if (n == 0) throw Error(ErrorKind::ModelFiles, path + ": file is empty (0 bytes)");
  try {
    if (ZipArchive::looks_like_zip(d, n)) return read_torch_zip(file);
    if (looks_like_torch_legacy(d, n)) return read_torch_legacy(file);
    if (looks_like_safetensors(d, n)) return read_safetensors(path);
  } catch (const c10::Error& e) {
    // LibTorch refusing a view is still a bad file, not a crash.
    throw Error(ErrorKind::ModelFiles, path + ": " + e.what_without_backtrace());
  }
  throw Error(ErrorKind::ModelFiles,
              path + ": unrecognised weight file (expected safetensors, a PyTorch checkpoint or a "
                     "TorchScript archive; the first bytes match none of them)");
}

}  // namespace bd::io
