// blendiff-cli: the engine from the command line (edit, models, bench).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <functional>

#include "bd/error.h"
#include "bd/gpu.h"
#include "bd/runtime.h"
#include "commands.h"

int main(int argc, char** argv) {
  bd::restart_with_passive_openmp_wait(argv);
  // Logs go to stderr so that stdout stays machine-readable (inspect --json, reports).
  spdlog::set_default_logger(spdlog::stderr_color_mt("blendiff"));
  spdlog::set_pattern("[%H:%M:%S] [%n] [%l] %v");
  spdlog::set_level(spdlog::level::info);

  CLI::App app{"blendiff-cli " + bd::version() +
               ": text-driven local image editing with Blended Diffusion"};
  // Asked lazily: finding the GPUs starts the CUDA runtime, which only --version needs.
  app.set_version_flag("--version", std::function<std::string()>([] {
    return "blendiff-cli " + bd::version() + "\n" + bd::gpu_report();
  }));
  app.require_subcommand(1);
  int threads = 0;
  std::string log_level = "info";
  app.add_option("--threads", threads, "CPU threads for LibTorch (0 = all cores)")
      ->check(CLI::Range(0, 1024));
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

  bd::cli::Command command;
  bd::cli::add_edit_command(app, &command);
  bd::cli::add_models_commands(app, &command);
  bd::cli::add_bench_commands(app, &command);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  spdlog::set_level(spdlog::level::from_str(log_level));
  try {
    bd::configure_process(threads);
    return command ? command() : 0;
  } catch (const bd::Error& e) {
    std::fprintf(stderr, "blendiff-cli: error (%s): %s\n", bd::to_string(e.kind()), e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "blendiff-cli: unexpected error: %s\n", e.what());
    return 1;
  }
}
