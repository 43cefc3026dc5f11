#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <type_traits>

#include "bd/error.h"
#include "params/params_json.h"
#include "bd/model_pack.h"
#include "core/sha256.h"

namespace fs = std::filesystem;

namespace bd {

namespace {

// pack.json "speed": the measured CPU cost of a step, for the editor's estimate.
void read_speed(const nlohmann::json& s, ModelPack& pack, std::vector<std::string>& problems) {
  if (!s.is_object()) {
    problems.push_back("speed is not an object");
    return;
  }
  if (s.contains("cpu_seconds_per_step")) {
    const auto& v = s.at("cpu_seconds_per_step");
    if (v.is_number() && v.get<double>() > 0.0 && v.get<double>() < 1e6)
      pack.cpu_seconds_per_step = v.get<double>();
    else
      problems.push_back("speed.cpu_seconds_per_step is not a number of seconds (0-1e6)");
  }
  if (s.contains("cpu_threads")) {
    const auto& v = s.at("cpu_threads");
    if (v.is_number_integer() && v.get<int64_t>() >= 1 && v.get<int64_t>() <= 4096)
      pack.cpu_threads = v.get<int>();
    else
      problems.push_back("speed.cpu_threads is not a thread count (1-4096)");
  }
}

// One {"file", "sha256", "bytes", "source"} object; `what` names it in problems.
bool read_file_fields(const nlohmann::json& e, const std::string& what, const fs::path& dir, PackFile& f,
                      std::vector<std::string>& problems) {
  if (!e.is_object() || !e.contains("file") || !e.at("file").is_string() ||
      e.at("file").get<std::string>().empty()) {
    problems.push_back(what + ".file is missing");
    return false;
  }
  fs::path p = e.at("file").get<std::string>();
  f.path = (p.is_absolute() ? p : dir / p).lexically_normal().string();
  if (e.contains("sha256") && e.at("sha256").is_string()) f.sha256 = e.at("sha256").get<std::string>();
  if (e.contains("bytes") && e.at("bytes").is_number_integer()) f.bytes = e.at("bytes").get<int64_t>();
  if (e.contains("source") && e.at("source").is_string()) f.source = e.at("source").get<std::string>();
  return true;
}

PackFile read_file_entry(const nlohmann::json& j, const char* role, const fs::path& dir,
                         std::vector<std::string>& problems) {
  PackFile f;
  f.role = role;
  if (!j.contains(role) || !j.at(role).is_object()) {
    problems.push_back(std::string("no \"") + role + "\" section");
    return f;
  }
  const auto& e = j.at(role);
  if (!read_file_fields(e, role, dir, f, problems)) return f;
  if (e.contains("alternatives")) {
    if (!e.at("alternatives").is_array()) {
      problems.push_back(std::string(role) + ".alternatives is not a list");
      return f;
    }
    for (std::size_t i = 0; i < e.at("alternatives").size(); ++i) {
      PackFile alt;
      alt.role = role;
      if (read_file_fields(e.at("alternatives")[i], std::string(role) + ".alternatives[" + std::to_string(i) + "]",
                           dir, alt, problems))
        f.alternatives.push_back(std::move(alt));
    }
  }
  // The first choice when present, else the first alternative that is.
  std::error_code ec;
  if (fs::exists(f.path, ec)) return f;
  for (std::size_t i = 0; i < f.alternatives.size(); ++i) {
    if (!fs::exists(f.alternatives[i].path, ec)) continue;
    PackFile chosen = f.alternatives[i];
    std::vector<PackFile> others = std::move(f.alternatives);
    others.erase(others.begin() + static_cast<std::ptrdiff_t>(i));
    others.insert(others.begin(), std::move(f));
    chosen.alternatives = std::move(others);
    return chosen;
  }
  return f;
}

// pack.json "lpips": {"file": …} or {"files": [{"file": …}, …]}, each with the usual fields.
std::vector<PackFile> read_lpips_entry(const nlohmann::json& e, const fs::path& dir,
                                       std::vector<std::string>& problems) {
  std::vector<PackFile> files;
  auto add = [&](const nlohmann::json& item, const std::string& what) {
    PackFile f;
    f.role = "lpips";
    if (read_file_fields(item, what, dir, f, problems)) files.push_back(std::move(f));
  };
  if (e.is_object() && e.contains("files") && e.at("files").is_array() && !e.at("files").empty()) {
    for (std::size_t i = 0; i < e.at("files").size(); ++i)
      add(e.at("files")[i], "lpips.files[" + std::to_string(i) + "]");
  } else if (e.is_object() && e.contains("file")) {
    add(e, "lpips");
  } else {
    problems.push_back("lpips must be {\"file\": …} or {\"files\": [{\"file\": …}, …]}");
  }
  return files;
}

// "put X at PATH (get it from SOURCE)", with every accepted alternative.
std::string where_to_put(const PackFile& f) {
  auto one = [](const PackFile& p) {
    return fs::path(p.path).filename().string() + " at " + p.path +
           (p.source.empty() ? std::string() : " (get it from " + p.source + ")");
  };
  std::string text = "put " + one(f);
  for (const PackFile& alt : f.alternatives) text += ", or instead " + one(alt);
  return text;
}

}  // namespace

ModelPack load_model_pack(const std::string& dir) {
  const fs::path manifest = fs::path(dir) / "pack.json";
  std::ifstream in(manifest);
  if (!in)
    throw Error(ErrorKind::ModelFiles, manifest.string() + ": cannot read the pack manifest (is " + dir +
                                           " a model pack folder?)");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::ModelFiles, manifest.string() + ": not valid JSON: " + e.what());
  }
  std::vector<std::string> problems;
  ModelPack pack;
  pack.dir = fs::absolute(dir).lexically_normal().string();
  pack.manifest_json = text.str();
  if (!j.is_object()) throw Error(ErrorKind::ModelFiles, manifest.string() + ": not a JSON object");
  // j.value() throws json::type_error for a present key of another type: check each one.
  const auto text_field = [&](const char* key, const std::string& fallback) {
    if (!j.contains(key)) return fallback;
    if (!j.at(key).is_string()) {
      problems.push_back(std::string(key) + " is " + j.at(key).type_name() + ", expected a string");
      return fallback;
    }
    return j.at(key).get<std::string>();
  };
  if (const std::string format = text_field("format", "missing"); format != "blendiff-pack/1")
    problems.push_back("format is " + format + ", expected blendiff-pack/1");
  pack.name = text_field("name", fs::path(dir).filename().string());
  pack.title = text_field("title", pack.name);
  pack.description = text_field("description", "");
  if (!j.contains("image_size") || !j.at("image_size").is_number_integer() || j.at("image_size").get<int>() < 8)
    problems.push_back("image_size is missing or not a size");
  else
    pack.image_size = j.at("image_size").get<int>();
  pack.unet = read_file_entry(j, "unet", pack.dir, problems);
  pack.clip = read_file_entry(j, "clip", pack.dir, problems);
  pack.tokenizer = read_file_entry(j, "tokenizer", pack.dir, problems);
  if (j.contains("tokenizer") && j.at("tokenizer").is_object() && j.at("tokenizer").contains("context_length")) {
    const auto& c = j.at("tokenizer").at("context_length");
    if (c.is_number_integer() && c.get<int64_t>() >= 2 && c.get<int64_t>() <= 4096)
      pack.context_length = c.get<int>();
    else
      problems.push_back("tokenizer.context_length is not a length (2-4096)");
  }
  if (j.contains("speed")) read_speed(j.at("speed"), pack, problems);
  if (j.contains("lpips")) pack.lpips = read_lpips_entry(j.at("lpips"), pack.dir, problems);
  if (j.contains("defaults")) apply_params_json(j.at("defaults"), pack.defaults, "defaults", problems);
  if (!problems.empty()) {
    std::string msg = manifest.string() + ": invalid pack manifest:";
    for (const auto& p : problems) msg += "\n  - " + p;
    throw Error(ErrorKind::ModelFiles, msg);
  }
  return pack;
}

std::vector<PackCheck> verify_model_pack(const ModelPack& pack, bool hash_files) {
  std::vector<PackCheck> out;
  std::vector<const PackFile*> files = {&pack.unet, &pack.clip, &pack.tokenizer};
  for (const PackFile& f : pack.lpips) files.push_back(&f);
  for (const PackFile* f : files) {
    PackCheck c;
    c.role = f->role;
    c.path = f->path;
    std::error_code ec;
    const auto size = fs::file_size(f->path, ec);
    if (ec) {
      c.problem = "missing: " + where_to_put(*f);
    } else if (f->bytes >= 0 && static_cast<int64_t>(size) != f->bytes) {
      c.problem = "size is " + std::to_string(size) + " bytes, expected " + std::to_string(f->bytes) +
                  " (incomplete download or another file?)";
    } else if (hash_files && !f->sha256.empty()) {
      const std::string actual = core::sha256_file(f->path);
      if (actual != f->sha256) c.problem = "SHA-256 is " + actual + ", expected " + f->sha256 + " (another file?)";
    }
    if (!c.problem.empty() && !ec && !f->source.empty())
      c.problem += "; replace it with the published file from " + f->source;
    c.ok = c.problem.empty();
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace bd
