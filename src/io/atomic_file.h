#pragma once
// Writes a file so that readers see either the old content or the complete new one:
// data goes to a temporary file beside the target, which is fsynced and renamed over
// it on commit(). Without commit() the temporary is removed and the target untouched.
#include <cstddef>
#include <cstdio>
#include <string>

namespace bd::io {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // throws bd::Error naming the path
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t size);
  void commit();

 private:
  std::string path_;
  std::string temp_path_;
  std::FILE* file_ = nullptr;
};

// Convenience for small files (JSON reports, manifests).
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace bd::io
