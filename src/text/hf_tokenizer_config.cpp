#include "text/hf_tokenizer_config.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "bd/error.h"

namespace bd::text {

namespace {

namespace fs = std::filesystem;

// Real files are a few kB (tokenizer_config.json with every added token, well under 1 MB).
constexpr std::uintmax_t kMaxFileBytes = 16u << 20;

Error file_error(const std::string& path, const std::string& what) {
  return Error(ErrorKind::ModelFiles, "tokenizer settings '" + path + "': " + what);
}

// "an array", "a number": what a value is, for messages.
std::string type_name(const nlohmann::json& value) {
  const std::string name = value.type_name();
  return (name[0] == 'a' || name[0] == 'o' ? "an " : "a ") + name;
}

// Each reader returns the field's value, or nullopt and one line in `problems`.
std::optional<std::string> read_pad_token(const nlohmann::json& value,
                                          std::vector<std::string>& problems) {
  if (value.is_null()) return std::nullopt;
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object()) {
    const auto content = value.find("content");
    if (content != value.end() && content->is_string()) return content->get<std::string>();
    problems.push_back("\"pad_token\" is an object without a string \"content\"");
    return std::nullopt;
  }
  problems.push_back("\"pad_token\" is " + type_name(value) +
                     ", expected a string or {\"content\": ...}");
  return std::nullopt;
}

std::optional<int64_t> read_max_length(const nlohmann::json& value,
                                       std::vector<std::string>& problems) {
  if (value.is_null()) return std::nullopt;
  if (value.is_number_unsigned()) {
    const auto n = value.get<std::uint64_t>();
    if (n == 0) problems.push_back("\"model_max_length\" is 0");
    if (n == 0 || n > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(n);
  }
  // transformers' VERY_LARGE_INTEGER, int(1e30), is written as 1e+30 by some versions.
  if (value.is_number_float() && value.get<double>() >= 1e18) return std::nullopt;
  problems.push_back("\"model_max_length\" is " + value.dump() +
                     (value.is_number_integer() ? ", negative" : ", expected a positive integer"));
  return std::nullopt;
}

std::optional<HfTokenizerConfig> read_file(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  const std::string path = file.string();
  const std::uintmax_t size = fs::file_size(file, ec);
  if (ec) throw file_error(path, "cannot be read (" + ec.message() + ")");
  if (size > kMaxFileBytes) {
    throw file_error(path,
                     "is " + std::to_string(size) + " bytes, more than a tokenizer's settings");
  }
  std::ifstream in(file, std::ios::binary);
  std::string text(static_cast<std::size_t>(size), '\0');
  if (!in.read(text.data(), static_cast<std::streamsize>(size)))
    throw file_error(path, "cannot be read");
  return parse_hf_tokenizer_json(text, path);
}

}  // namespace

HfTokenizerConfig parse_hf_tokenizer_json(std::string_view json_text, const std::string& path) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json_text.begin(), json_text.end());
  } catch (const nlohmann::json::exception& e) {
    throw file_error(path, std::string("is not valid JSON: ") + e.what());
  }
  if (!doc.is_object())
    throw file_error(path, "holds " + type_name(doc) + ", expected a JSON object");
  HfTokenizerConfig config;
  std::vector<std::string> problems;
  if (const auto pad = doc.find("pad_token"); pad != doc.end()) {
    config.pad_token = read_pad_token(*pad, problems);
    config.pad_token_file = path;
  }
  if (const auto max = doc.find("model_max_length"); max != doc.end())
    config.model_max_length = read_max_length(*max, problems);
  if (!problems.empty()) {
    std::string all;
    for (const std::string& problem : problems) all += (all.empty() ? "" : "; ") + problem;
    throw file_error(path, all);
  }
  return config;
}

std::optional<HfTokenizerConfig> read_hf_tokenizer_folder(const std::string& merges_path) {
  const fs::path dir = fs::path(merges_path).parent_path();
  const auto tokenizer_config = read_file(dir / "tokenizer_config.json");
  const auto special_tokens = read_file(dir / "special_tokens_map.json");
  if (!tokenizer_config && !special_tokens) return std::nullopt;
  HfTokenizerConfig config = tokenizer_config.value_or(HfTokenizerConfig{});
  if (special_tokens && !special_tokens->pad_token_file.empty()) {
    config.pad_token = special_tokens->pad_token;
    config.pad_token_file = special_tokens->pad_token_file;
  }
  return config;
}

}  // namespace bd::text
