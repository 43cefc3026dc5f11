// pack.json -> bd::ModelPack: every section typed and checked here, once, so that a pack
// that loads is one the engine can build, and a bad one is refused with all its problems.
#include "bd/model_pack.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bd/error.h"
#include "core/sha256.h"
#include "params/params_json.h"
#include "pack/json_fields.h"
#include "pack/network_config_json.h"

namespace fs = std::filesystem;

namespace bd {

namespace {

using pack::JsonProblems;

constexpr const char* kFormat = "blendiff-pack/1";

// Every method a pack may name; the first is the default.
const std::vector<std::pair<PackMethod, std::string>>& methods() {
  static const std::vector<std::pair<PackMethod, std::string>> known = {
      {PackMethod::Blended, "blended"}, {PackMethod::BlendedLatent, "blended-latent"}};
  return known;
}

void read_method(const nlohmann::json& j, ModelPack& pack, JsonProblems& problems) {
  std::string name = method_name(pack.method);
  if (!pack::read_string(j, "", "method", name, problems)) return;
  for (const auto& [method, known] : methods())
    if (name == known) {
      pack.method = method;
      return;
    }
  std::string list;
  for (const auto& [method, known] : methods()) list += (list.empty() ? "" : ", ") + known;
  problems.add("method", "unknown method \"" + name + "\" (known: " + list + ")");
}

// pack.json "speed": the measured CPU cost of a step, for the editor's estimate.
void read_speed(const nlohmann::json& s, ModelPack& pack, JsonProblems& problems) {
  if (!pack::require_object(s, "speed", problems)) return;
  if (s.contains("cpu_seconds_per_step")) {
    const auto& v = s.at("cpu_seconds_per_step");
    if (v.is_number() && v.get<double>() > 0.0 && v.get<double>() <= 1e6)
      pack.cpu_seconds_per_step = v.get<double>();
    else
      problems.expected("speed.cpu_seconds_per_step", "a number of seconds (above 0, at most 1e6)",
                        v);
  }
  int64_t threads = pack.cpu_threads;
  if (pack::read_int(s, "speed", "cpu_threads", threads, 1, 4096, problems))
    pack.cpu_threads = static_cast<int>(threads);
}

// One {"file", "sha256", "bytes", "source"} object at `path`.
bool read_file_fields(const nlohmann::json& e, const std::string& path, const fs::path& dir,
                      PackFile& f, JsonProblems& problems) {
  if (!pack::require_object(e, path, problems)) return false;
  std::string file;
  if (!e.contains("file")) {
    problems.add(pack::join_path(path, "file"), "missing");
  } else if (pack::read_string(e, path, "file", file, problems) && file.empty()) {
    problems.add(pack::join_path(path, "file"), "empty");
  }
  pack::read_string(e, path, "sha256", f.sha256, problems);
  pack::read_int(e, path, "bytes", f.bytes, 0, INT64_MAX, problems);
  pack::read_string(e, path, "source", f.source, problems);
  if (file.empty()) return false;
  const fs::path p = file;
  f.path = (p.is_absolute() ? p : dir / p).lexically_normal().string();
  return true;
}

// The first choice when present, else the first alternative that is.
PackFile choose_present(PackFile f) {
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

PackFile read_file_entry(const nlohmann::json& j, const char* role, const fs::path& dir,
                         JsonProblems& problems) {
  PackFile f;
  f.role = role;
  if (!j.contains(role)) {
    problems.add(role, "missing (a {\"file\": …} object)");
    return f;
  }
  const auto& e = j.at(role);
  if (!read_file_fields(e, role, dir, f, problems)) return f;
  if (e.contains("alternatives")) {
    const std::string path = std::string(role) + ".alternatives";
    if (!e.at("alternatives").is_array()) {
      problems.expected(path, "a list", e.at("alternatives"));
      return f;
    }
    for (std::size_t i = 0; i < e.at("alternatives").size(); ++i) {
      PackFile alt;
      alt.role = role;
      if (read_file_fields(e.at("alternatives")[i], path + "[" + std::to_string(i) + "]", dir, alt,
                           problems))
        f.alternatives.push_back(std::move(alt));
    }
  }
  return choose_present(std::move(f));
}

const char* const kLatentOnly[] = {"vae", "text_encoder", "scheduler", "checkpoint"};

void read_pixel_files(const nlohmann::json& j, ModelPack& pack, JsonProblems& problems) {
  pack.unet = read_file_entry(j, "unet", pack.dir, problems);
  pack.clip = read_file_entry(j, "clip", pack.dir, problems);
  for (const char* key : kLatentOnly)
    if (j.contains(key))
      problems.add(key, "belongs to a \"blended-latent\" pack (this one's method is \"blended\")");
}

// Stable Diffusion's networks: three component files, or one single-file checkpoint.
void read_latent_files(const nlohmann::json& j, ModelPack& pack, JsonProblems& problems) {
  const char* const components[] = {"unet", "vae", "text_encoder"};
  if (j.contains("checkpoint")) {
    pack.checkpoint = read_file_entry(j, "checkpoint", pack.dir, problems);
    for (const char* key : components)
      if (j.contains(key))
        problems.add(key, "not with \"checkpoint\": a single file already holds the UNet, VAE and text encoder");
  } else {
    pack.unet = read_file_entry(j, "unet", pack.dir, problems);
    pack.vae = read_file_entry(j, "vae", pack.dir, problems);
    pack.text_encoder = read_file_entry(j, "text_encoder", pack.dir, problems);
  }
  if (j.contains("scheduler")) pack.scheduler = read_file_entry(j, "scheduler", pack.dir, problems);
  if (j.contains("clip")) pack.clip = read_file_entry(j, "clip", pack.dir, problems);
  if (j.contains("lpips")) problems.add("lpips", "only the pixel method's local baseline uses LPIPS");
}

// pack.json "lpips": {"file": …} or {"files": [{"file": …}, …]}, each with the usual fields.
std::vector<PackFile> read_lpips_entry(const nlohmann::json& e, const fs::path& dir,
                                       JsonProblems& problems) {
  std::vector<PackFile> files;
  auto add = [&](const nlohmann::json& item, const std::string& path) {
    PackFile f;
    f.role = "lpips";
    if (read_file_fields(item, path, dir, f, problems)) files.push_back(std::move(f));
  };
  if (e.is_object() && e.contains("files") && e.at("files").is_array() && !e.at("files").empty()) {
    for (std::size_t i = 0; i < e.at("files").size(); ++i)
      add(e.at("files")[i], "lpips.files[" + std::to_string(i) + "]");
  } else if (e.is_object() && e.contains("file")) {
    add(e, "lpips");
  } else {
    problems.expected("lpips", "{\"file\": …} or {\"files\": [{\"file\": …}, …]}", e);
  }
  return files;
}

// The sections that configure networks: each optional, each checked when present.
void read_network_sections(const nlohmann::json& j, ModelPack& pack, JsonProblems& problems) {
  if (j.contains("unet") && j.at("unet").is_object() && j.at("unet").contains("create_model")) {
    CreateModelArgs args;
    const std::size_t before = problems.size();
    if (pack::require_object(j.at("unet").at("create_model"), "unet.create_model", problems))
      pack::read_create_model_args(j.at("unet").at("create_model"), "unet.create_model", args,
                                   problems);
    if (problems.size() == before) pack.unet_args = args;
  }
  if (j.contains("clip") && j.at("clip").is_object() && j.at("clip").contains("config")) {
    ClipConfig config;
    const std::size_t before = problems.size();
    if (pack::require_object(j.at("clip").at("config"), "clip.config", problems))
      pack::read_clip_config(j.at("clip").at("config"), "clip.config", config, problems);
    if (problems.size() == before) pack.clip_config = config;
  }
  if (j.contains("tokenizer") && j.at("tokenizer").is_object()) {
    int64_t length = pack.context_length;
    if (pack::read_int(j.at("tokenizer"), "tokenizer", "context_length", length, 2, 4096, problems))
      pack.context_length = static_cast<int>(length);
  }
  if (j.contains("diffusion") && pack::require_object(j.at("diffusion"), "diffusion", problems))
    pack::read_diffusion_config(j.at("diffusion"), "diffusion", pack.diffusion, problems);
}

void read_manifest(const nlohmann::json& j, const std::string& dir, ModelPack& pack,
                   JsonProblems& problems) {
  std::string format = "(missing)";
  if (!j.contains("format"))
    problems.add("format", std::string("missing, expected \"") + kFormat + "\"");
  else if (pack::read_string(j, "", "format", format, problems) && format != kFormat)
    problems.expected("format", std::string("\"") + kFormat + "\"", format);
  pack.name = fs::path(dir).filename().string();
  pack::read_string(j, "", "name", pack.name, problems);
  pack.title = pack.name;
  pack::read_string(j, "", "title", pack.title, problems);
  pack::read_string(j, "", "description", pack.description, problems);
  read_method(j, pack, problems);
  int64_t image_size = 0;
  if (!j.contains("image_size"))
    problems.add("image_size", "missing");
  else if (pack::read_int(j, "", "image_size", image_size, 8, 65536, problems))
    pack.image_size = static_cast<int>(image_size);
  if (pack.method == PackMethod::BlendedLatent)
    read_latent_files(j, pack, problems);
  else
    read_pixel_files(j, pack, problems);
  pack.tokenizer = read_file_entry(j, "tokenizer", pack.dir, problems);
  read_network_sections(j, pack, problems);
  if (j.contains("speed")) read_speed(j.at("speed"), pack, problems);
  if (j.contains("lpips")) pack.lpips = read_lpips_entry(j.at("lpips"), pack.dir, problems);
  if (j.contains("defaults") && pack::require_object(j.at("defaults"), "defaults", problems)) {
    // Checked entry by entry against the parameter table; each problem names its key.
    std::vector<std::string> found;
    apply_params_json(j.at("defaults"), pack.defaults, "defaults", found);
    for (const auto& p : found) problems.add("", p);
  }
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

std::string method_name(PackMethod method) {
  for (const auto& [m, name] : methods())
    if (m == method) return name;
  return "?";
}

ModelPack load_model_pack(const std::string& dir) {
  const fs::path manifest = fs::path(dir) / "pack.json";
  std::ifstream in(manifest);
  if (!in)
    throw Error(ErrorKind::ModelFiles, manifest.string() + ": cannot read the pack manifest (is " +
                                           dir + " a model pack folder?)");
  std::stringstream text;
  text << in.rdbuf();
  ModelPack pack;
  pack.dir = fs::absolute(dir).lexically_normal().string();
  JsonProblems problems("pack.json");
  nlohmann::json j;
  bool parsed = true;
  try {
    j = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {  // parse_error; out_of_range for huge numbers
    problems.add("", std::string("not valid JSON: ") + e.what());
    parsed = false;
  }
  if (parsed && j.is_object())
    read_manifest(j, dir, pack, problems);
  else if (parsed)
    problems.expected("", "a JSON object", j);
  if (!problems.empty())
    problems.raise(manifest.string() + ": invalid model pack, " + std::to_string(problems.size()) +
                   (problems.size() == 1 ? " problem:" : " problems:"));
  return pack;
}

std::vector<PackCheck> verify_model_pack(const ModelPack& pack, bool hash_files) {
  std::vector<PackCheck> out;
  std::vector<const PackFile*> files;
  for (const PackFile* f : {&pack.checkpoint, &pack.unet, &pack.vae, &pack.text_encoder, &pack.clip,
                            &pack.tokenizer, &pack.scheduler})
    if (!f->path.empty()) files.push_back(f);
  for (const PackFile& f : pack.lpips) files.push_back(&f);
  // A diffusers component's weights need the config.json beside them.
  std::vector<PackFile> configs;
  if (pack.method == PackMethod::BlendedLatent)
    for (const PackFile* f : {&pack.unet, &pack.vae, &pack.text_encoder})
      if (!f->path.empty()) {
        PackFile c;
        c.role = f->role + " config";
        c.path = (fs::path(f->path).parent_path() / "config.json").string();
        c.source = f->source;
        configs.push_back(std::move(c));
      }
  for (const PackFile& c : configs) files.push_back(&c);
  for (const PackFile* f : files) {
    PackCheck c;
    c.role = f->role;
    c.path = f->path;
    std::error_code ec;
    const auto size = fs::file_size(f->path, ec);
    if (ec) {
      c.problem = "missing: " + where_to_put(*f);
    } else if (f->bytes >= 0 && static_cast<int64_t>(size) != f->bytes) {
      c.problem = "size is " + std::to_string(size) + " bytes, expected " +
                  std::to_string(f->bytes) + " (incomplete download or another file?)";
    } else if (hash_files && !f->sha256.empty()) {
      const std::string actual = core::sha256_file(f->path);
      if (actual != f->sha256)
        c.problem = "SHA-256 is " + actual + ", expected " + f->sha256 + " (another file?)";
    }
    if (!c.problem.empty() && !ec && !f->source.empty())
      c.problem += "; replace it with the published file from " + f->source;
    c.ok = c.problem.empty();
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace bd
