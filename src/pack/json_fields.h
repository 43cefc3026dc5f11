#pragma once
// Typed reads from a JSON file that collect every problem, each naming the file and the
// JSON path of the value at fault ("pack.json: unet.create_model.num_channels: expected
// a positive integer, got \"x\""), so a loader can report them all at once.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bd::pack {

class JsonProblems {
 public:
  explicit JsonProblems(std::string file) : file_(std::move(file)) {}
  void add(const std::string& path, const std::string& what);
  // "PATH: expected WHAT, got VALUE" with the value as JSON, shortened.
  void expected(const std::string& path, const std::string& what, const nlohmann::json& got);
  bool empty() const { return list_.empty(); }
  std::size_t size() const { return list_.size(); }
  const std::vector<std::string>& list() const { return list_; }
  // Throws bd::Error(ModelFiles): `heading`, then one problem a line.
  [[noreturn]] void raise(const std::string& heading) const;

 private:
  std::string file_;
  std::vector<std::string> list_;
};

// "a.b" + "c" -> "a.b.c"; "" + "c" -> "c".
std::string join_path(const std::string& path, const std::string& key);

// Each reads obj[key] into `out` when present (absent keys keep `out`). A value of the
// wrong type or outside [min, max] is a problem at path.key and leaves `out` unchanged.
// Returns whether the key was present and valid.
bool read_int(const nlohmann::json& obj, const std::string& path, const char* key, int64_t& out,
              int64_t min, int64_t max, JsonProblems& problems);
bool read_number(const nlohmann::json& obj, const std::string& path, const char* key, double& out,
                 double min, double max, JsonProblems& problems);
bool read_bool(const nlohmann::json& obj, const std::string& path, const char* key, bool& out,
               JsonProblems& problems);
bool read_string(const nlohmann::json& obj, const std::string& path, const char* key,
                 std::string& out, JsonProblems& problems);

// Whether `v` is an object; else a problem at `path` ("expected an object").
bool require_object(const nlohmann::json& v, const std::string& path, JsonProblems& problems);

}  // namespace bd::pack
