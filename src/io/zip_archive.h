#pragma once
// Read-only ZIP reader for PyTorch's zip checkpoints and TorchScript archives. PyTorch
// stores entries uncompressed and 64-byte aligned, so tensor data is used in place;
// deflated entries (a re-zipped file) are inflated into memory. ZIP64 is supported.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/mapped_file.h"

namespace bd::io {

struct ByteSpan {
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
  std::shared_ptr<const void> owner;  // keeps `data` valid
};

class ZipArchive {
 public:
  // Throws bd::Error(ModelFiles) naming the file when the central directory is
  // missing, truncated or points outside the file.
  explicit ZipArchive(std::shared_ptr<MappedFile> file);

  static bool looks_like_zip(const std::uint8_t* data, std::size_t size);

  const std::vector<std::string>& names() const { return names_; }
  bool contains(const std::string& name) const { return entries_.count(name) != 0; }
  // Throws bd::Error(ModelFiles) when absent or corrupt.
  ByteSpan read(const std::string& name) const;
  std::uint64_t uncompressed_size(const std::string& name) const;
  const std::string& path() const { return file_->path(); }

 private:
  struct Entry {
    std::uint16_t method = 0;
    std::uint64_t compressed = 0;
    std::uint64_t uncompressed = 0;
    std::uint64_t local_header = 0;
  };
  std::shared_ptr<MappedFile> file_;
  std::map<std::string, Entry> entries_;
  std::vector<std::string> names_;  // central-directory order
};

}  // namespace bd::io
