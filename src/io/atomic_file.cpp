#include "io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "bd/error.h"

namespace bd::io {

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  std::vector<char> name(path_.begin(), path_.end());
  const std::string suffix = ".tmp-XXXXXX";
  name.insert(name.end(), suffix.begin(), suffix.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0)
    throw Error(ErrorKind::InvalidInput,
                "cannot create a temporary file next to " + path_ + ": " + std::strerror(errno));
  temp_path_ = name.data();
  file_ = ::fdopen(fd, "wb");
  if (file_ == nullptr) {
    ::close(fd);
    ::unlink(temp_path_.c_str());
    throw Error(ErrorKind::Backend, "cannot open " + temp_path_ + ": " + std::strerror(errno));
  }
}

AtomicFile::~AtomicFile() {
  if (file_ != nullptr) {
    std::fclose(file_);
    ::unlink(temp_path_.c_str());
  }
}

void AtomicFile::write(const void* data, std::size_t size) {
  if (size != 0 && std::fwrite(data, 1, size, file_) != size)
    throw Error(ErrorKind::Backend, "writing " + path_ + " failed: " + std::strerror(errno));
}

void AtomicFile::commit() {
  const bool flushed = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  const int saved_errno = errno;
  std::fclose(file_);
  file_ = nullptr;
  // mkstemp creates 0600; published files should have ordinary permissions.
  ::chmod(temp_path_.c_str(), 0644);
  if (!flushed || std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const int err = flushed ? errno : saved_errno;
    ::unlink(temp_path_.c_str());
    throw Error(ErrorKind::Backend, "saving " + path_ + " failed: " + std::strerror(err));
  }
}

void write_file_atomically(const std::string& path, const std::string& content) {
  AtomicFile f(path);
  f.write(content.data(), content.size());
  f.commit();
}

}  // namespace bd::io
