#pragma once
// The options that choose where and how the engine computes (device, precision, GPU
// memory), shared by `edit` and `bench`.
#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "bd/engine.h"

namespace bd::cli {

struct EngineCliOptions {
  std::string device = "auto";
  std::string precision = "auto";
  int micro_batch = 0;
  std::string gpu_memory;  // "" = the whole card
};

void add_engine_options(CLI::App* cmd, const std::shared_ptr<EngineCliOptions>& o);
// Throws bd::Error(InvalidInput) naming the option on a bad precision or memory size.
EngineOptions to_engine_options(const EngineCliOptions& o);

}  // namespace bd::cli
