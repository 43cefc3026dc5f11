// `blendiff-cli models ...`: look inside weight files and model packs.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

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
}

}  // namespace bd::cli
