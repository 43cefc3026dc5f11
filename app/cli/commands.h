#pragma once
// Sub-commands of blendiff-cli. Each registers its options on the parent and returns
// the function to run once the command line has parsed.
#include <CLI/CLI.hpp>

#include <functional>

namespace bd::cli {

using Command = std::function<int()>;

void add_models_commands(CLI::App& app, Command* selected);
void add_edit_command(CLI::App& app, Command* selected);
void add_bench_commands(CLI::App& app, Command* selected);

}  // namespace bd::cli
