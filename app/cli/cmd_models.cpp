// `blendiff-cli models ...`: look inside weight files and model packs.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bd/model_pack.h"
#include "bd/paths.h"
#include "bd/weights.h"
#include "commands.h"

namespace bd::cli {

namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::ostringstream o;
  o << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) o << (i ? ", " : "") << shape[i];
  o << ']';
  return o.str();
}

// 552814086 -> "552,814,086": parameter counts are read by people.
std::string grouped(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

int inspect(const std::string& path, bool as_json) {
  const WeightFileSummary s = inspect_weight_file(path);
  if (as_json) {
    nlohmann::ordered_json j;
    j["path"] = s.path;
    j["format"] = s.format;
    j["total_elements"] = s.total_elements;
    j["metadata"] = s.metadata;
    for (const auto& t : s.tensors)
      j["tensors"].push_back({{"name", t.name}, {"dtype", t.dtype}, {"shape", t.shape}});
    std::printf("%s\n", j.dump(1).c_str());
    return 0;
  }
  std::size_t width = 4;
  for (const auto& t : s.tensors) width = std::max(width, t.name.size());
  std::printf("%s\nformat: %s\n\n", s.path.c_str(), s.format.c_str());
  std::printf("%-*s  %-9s  %s\n", static_cast<int>(width), "name", "dtype", "shape");
  for (const auto& t : s.tensors)
    std::printf("%-*s  %-9s  %s\n", static_cast<int>(width), t.name.c_str(), t.dtype.c_str(),
                shape_text(t.shape).c_str());
  std::printf("\n%zu tensors, %s parameters\n", s.tensors.size(), grouped(s.total_elements).c_str());
  return 0;
}

int verify(const std::string& dir, bool hash) {
  const ModelPack pack = load_model_pack(dir);
  int bad = 0;
  std::printf("%s (%s)\n", pack.dir.c_str(), pack.title.c_str());
  const std::vector<PackCheck> checks = verify_model_pack(pack, hash);
  std::size_t width = 9;  // the roles' column, as wide as the longest ("text_encoder config")
  for (const PackCheck& c : checks) width = std::max(width, c.role.size());
  for (const PackCheck& c : checks) {
    std::printf("  %-*s %s  %s%s\n", static_cast<int>(width), c.role.c_str(), c.ok ? "ok     " : "PROBLEM",
                c.path.c_str(), c.ok ? "" : ("\n            " + c.problem).c_str());
    bad += c.ok ? 0 : 1;
  }
  if (bad) std::fprintf(stderr, "blendiff-cli: %d file(s) of pack %s need attention\n", bad, pack.name.c_str());
  else std::printf("pack %s is complete%s\n", pack.name.c_str(), hash ? " (sizes and SHA-256 match)" : "");
  return bad ? 1 : 0;
}

int list_packs() {
  namespace fs = std::filesystem;
  int found = 0;
  for (const std::string& root : model_search_dirs()) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root, ec)) {
      if (!fs::exists(entry.path() / "pack.json", ec)) continue;
      ++found;
      try {
        const ModelPack pack = load_model_pack(entry.path().string());
        std::uintmax_t bytes = 0;
        bool complete = true;
        for (const PackCheck& c : verify_model_pack(pack, /*hash_files=*/false)) {
          complete &= c.ok;
          bytes += fs::exists(c.path, ec) ? fs::file_size(c.path, ec) : 0;
        }
        std::printf("%-22s %8.1f MB  %-10s %s\n", pack.name.c_str(), bytes / 1e6,
                    complete ? "ready" : "incomplete", pack.dir.c_str());
      } catch (const std::exception& e) {
        std::printf("%-22s %8s     %-10s %s\n", entry.path().filename().c_str(), "-", "invalid", e.what());
      }
    }
  }
  if (!found) std::printf("no model packs found; searched: %zu folders (set BLENDIFF_MODELS to add one)\n",
                          model_search_dirs().size());
  return 0;
}

}  // namespace

void add_models_commands(CLI::App& app, Command* selected) {
  CLI::App* models = app.add_subcommand("models", "Inspect weight files and model packs");
  models->require_subcommand(1);

  auto* inspect_cmd = models->add_subcommand(
      "inspect", "List every tensor (name, dtype, shape) of a weight file and the parameter count.\n"
                 "Reads safetensors, PyTorch checkpoints (zip and legacy) and TorchScript archives.");
  auto path = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  inspect_cmd->add_option("FILE", *path, "Weight file")->required();
  inspect_cmd->add_flag("--json", *as_json, "Print JSON instead of a table");
  inspect_cmd->callback([=] { *selected = [=] { return inspect(*path, *as_json); }; });

  auto* verify_cmd = models->add_subcommand(
      "verify", "Check that a model pack's files exist with the right sizes and SHA-256 sums");
  auto dir = std::make_shared<std::string>();
  auto quick = std::make_shared<bool>(false);
  verify_cmd->add_option("DIR", *dir, "Model pack folder (with pack.json)")->required();
  verify_cmd->add_flag("--quick", *quick, "Check presence and sizes only, not SHA-256");
  verify_cmd->callback([=] { *selected = [=] { return verify(*dir, !*quick); }; });

  auto* list_cmd = models->add_subcommand("list", "List the model packs found, their sizes and status");
  list_cmd->callback([=] { *selected = [] { return list_packs(); }; });
}

}  // namespace bd::cli
