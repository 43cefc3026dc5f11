#pragma once
// Key manifests in tests/data: tab-separated rows whose columns are named by the caller
// (e.g. "key, [shape], numel" or "ldm key, diffusers key, [shape]"); '#' lines are comments.
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.h"

namespace bd::test {

struct ManifestRow {
  std::vector<std::string> columns;
  // Parses column `i` as "[d0, d1, ...]".
  std::vector<int64_t> shape(size_t i) const {
    std::string inner = columns.at(i);
    for (char& c : inner)
      if (c == '[' || c == ']' || c == ',') c = ' ';
    std::vector<int64_t> dims;
    std::istringstream ds(inner);
    for (int64_t d; ds >> d;) dims.push_back(d);
    return dims;
  }
};

inline std::vector<ManifestRow> read_manifest(const std::string& relative) {
  std::ifstream in(source_path(relative));
  if (!in) throw std::runtime_error("cannot open " + relative);
  std::vector<ManifestRow> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.front() == '#') continue;
    ManifestRow row;
    std::istringstream cols(line);
    for (std::string c; std::getline(cols, c, '\t');) row.columns.push_back(c);
    rows.push_back(row);
  }
  return rows;
}

}  // namespace bd::test
