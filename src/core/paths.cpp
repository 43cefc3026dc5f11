#include "bd/paths.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace bd {

namespace {

fs::path executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : exe.parent_path();
}

// build/bin/<exe> and build/bin/tests/<exe> reach the source tree two or three levels up;
// <prefix>/bin/<exe> reaches <prefix>/share/blendiff.
std::vector<fs::path> data_roots() {
  const fs::path bin = executable_dir();
  std::vector<fs::path> roots = {bin / ".." / "share" / "blendiff"};
  roots.push_back(bin / ".." / "..");
  roots.push_back(bin / ".." / ".." / "..");
  return roots;
}

}  // namespace

std::string user_data_dir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return (fs::path(xdg) / "blendiff").string();
  if (const char* home = std::getenv("HOME"); home && *home)
    return (fs::path(home) / ".local" / "share" / "blendiff").string();
  return {};
}

std::vector<std::string> model_search_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("BLENDIFF_MODELS"); env && *env) {
    std::string list = env;
    std::size_t start = 0;
    while (start <= list.size()) {
      const std::size_t end = std::min(list.find(':', start), list.size());
      if (end > start) dirs.push_back(list.substr(start, end - start));
      start = end + 1;
    }
  }
  if (const std::string user = user_data_dir(); !user.empty()) dirs.push_back((fs::path(user) / "models").string());
  for (const fs::path& root : data_roots()) {
    std::error_code ec;
    const fs::path models = root / "models";
    if (fs::is_directory(models, ec)) dirs.push_back(fs::weakly_canonical(models, ec).string());
  }
  return dirs;
}

std::string default_pack_dir() {
  for (const std::string& dir : model_search_dirs()) {
    std::error_code ec;
    if (fs::exists(fs::path(dir) / "toyworld" / "pack.json", ec)) return (fs::path(dir) / "toyworld").string();
  }
  return {};
}

std::string samples_dir() {
  for (const fs::path& root : data_roots()) {
    std::error_code ec;
    for (const fs::path& candidate : {root / "samples", root / "resources" / "samples"})
      if (fs::is_directory(candidate, ec)) return fs::weakly_canonical(candidate, ec).string();
  }
  return {};
}

}  // namespace bd
