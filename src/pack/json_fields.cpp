#include "pack/json_fields.h"

#include <cmath>

#include "bd/error.h"

namespace bd::pack {

namespace {

std::string shown(const nlohmann::json& v) {
  std::string text =
      v.dump(-1, ' ', /*ensure_ascii=*/true, nlohmann::json::error_handler_t::replace);
  constexpr std::size_t kLongest = 60;
  if (text.size() > kLongest) text = text.substr(0, kLongest) + "…";
  return text;
}

std::string range_text(int64_t min, int64_t max) {
  if (min == 1 && max == INT64_MAX) return "a positive integer";
  if (min == 0 && max == INT64_MAX) return "a non-negative integer";
  return "an integer from " + std::to_string(min) + " to " + std::to_string(max);
}

}  // namespace

void JsonProblems::add(const std::string& path, const std::string& what) {
  list_.push_back(file_ + ": " + (path.empty() ? std::string() : path + ": ") + what);
}

void JsonProblems::expected(const std::string& path, const std::string& what,
                            const nlohmann::json& got) {
  add(path, "expected " + what + ", got " + shown(got));
}

void JsonProblems::raise(const std::string& heading) const {
  std::string msg = heading;
  for (const auto& p : list_) msg += "\n  - " + p;
  throw Error(ErrorKind::ModelFiles, msg);
}

std::string join_path(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

bool require_object(const nlohmann::json& v, const std::string& path, JsonProblems& problems) {
  if (v.is_object()) return true;
  problems.expected(path, "an object", v);
  return false;
}

bool read_int(const nlohmann::json& obj, const std::string& path, const char* key, int64_t& out,
              int64_t min, int64_t max, JsonProblems& problems) {
  if (!obj.is_object() || !obj.contains(key)) return false;
  const auto& v = obj.at(key);
  // Unsigned values past INT64_MAX and floats are never cast: that would wrap or be
  // undefined behaviour.
  const bool fits =
      v.is_number_integer() && !(v.is_number_unsigned() && v.get<std::uint64_t>() > INT64_MAX);
  if (fits && v.get<int64_t>() >= min && v.get<int64_t>() <= max) {
    out = v.get<int64_t>();
    return true;
  }
  if (min == -1 && max == INT64_MAX)
    problems.expected(join_path(path, key), "-1 or a positive integer", v);
  else
    problems.expected(join_path(path, key), range_text(min, max), v);
  return false;
}

bool read_number(const nlohmann::json& obj, const std::string& path, const char* key, double& out,
                 double min, double max, JsonProblems& problems) {
  if (!obj.is_object() || !obj.contains(key)) return false;
  const auto& v = obj.at(key);
  if (v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() >= min &&
      v.get<double>() <= max) {
    out = v.get<double>();
    return true;
  }
  problems.expected(join_path(path, key), "a number from " + shown(min) + " to " + shown(max), v);
  return false;
}

bool read_bool(const nlohmann::json& obj, const std::string& path, const char* key, bool& out,
               JsonProblems& problems) {
  if (!obj.is_object() || !obj.contains(key)) return false;
  const auto& v = obj.at(key);
  if (v.is_boolean()) {
    out = v.get<bool>();
    return true;
  }
  problems.expected(join_path(path, key), "true or false", v);
  return false;
}

bool read_string(const nlohmann::json& obj, const std::string& path, const char* key,
                 std::string& out, JsonProblems& problems) {
  if (!obj.is_object() || !obj.contains(key)) return false;
  const auto& v = obj.at(key);
  if (v.is_string()) {
    out = v.get<std::string>();
    return true;
  }
  problems.expected(join_path(path, key), "a string", v);
  return false;
}

}  // namespace bd::pack
