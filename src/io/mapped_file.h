#pragma once
// A private (copy-on-write) memory map of a whole file; the file itself is never written.
// (zero copy), so a 2.2 GB checkpoint costs page cache, not a second heap copy.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace bd::io {

class MappedFile {
 public:
  // Throws bd::Error(ModelFiles) naming the path when it cannot be opened or mapped.
  static std::shared_ptr<MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  std::string path_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace bd::io
