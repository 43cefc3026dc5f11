#include "fuzz_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

namespace fs = std::filesystem;

namespace bd::fuzz {

namespace {

const fs::path& base_dir() {
  // Deliberately never destroyed: the atexit cleanup below is registered while this static
  // is being built, so it runs after the static's destructor would have (ASan caught that
  // use-after-free at the end of a run). A reachable pointer is no leak to LeakSanitizer.
  static const fs::path* const dir = [] {
    fs::path root = "/tmp";
    if (const char* env = std::getenv("BLENDIFF_FUZZ_TMP"); env && *env) root = env;
    else if (fs::is_directory("/dev/shm")) root = "/dev/shm";
    const auto* d = new fs::path(root / ("blendiff-fuzz-" + std::to_string(::getpid())));
    fs::create_directories(*d);
    // Fuzzers leave through exit() (or a crash, when the files are evidence anyway).
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(base_dir(), ec);
    });
    return d;
  }();
  return *dir;
}

}  // namespace

std::string input_file(const std::string& tag, const std::uint8_t* data, std::size_t size) {
  const std::string path = (base_dir() / tag).string();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

std::string input_dir(const std::string& tag) {
  const fs::path d = base_dir() / tag;
  fs::create_directories(d);
  return d.string();
}

void touch_bytes(const void* data, std::size_t size) {
  const volatile std::uint8_t* p = static_cast<const volatile std::uint8_t*>(data);
  std::uint8_t sum = 0;
  for (std::size_t i = 0; i < size; ++i) sum ^= p[i];
  (void)sum;
}

}  // namespace bd::fuzz
