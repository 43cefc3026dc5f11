// Peak memory of loading the 256x256 UNet from a weight file, as a multiple of the file's
// size (aim: <= 1.2x). Usage: bench_load_memory FILE  (e.g. a 2.2 GB safetensors or .pt
// written by tests/bench/run_benchmarks.sh). Prints JSON.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "bd/runtime.h"
#include "nn/unet.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_load_memory WEIGHTS_FILE\n");
    return 2;
  }
  bd::set_threads(0);
  const auto bytes = std::filesystem::file_size(argv[1]);
  const auto t0 = std::chrono::steady_clock::now();
  auto unet = bd::nn::load_unet(argv[1], torch::kCPU);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  const double peak = static_cast<double>(usage.ru_maxrss) * 1024.0;  // ru_maxrss is KiB on Linux
  std::printf("{\"file\": \"%s\", \"file_bytes\": %llu, \"peak_rss_bytes\": %.0f, \"peak_over_file\": %.3f, \"load_s\": %.2f}\n",
              argv[1], static_cast<unsigned long long>(bytes), peak, peak / bytes, seconds);
  return 0;
}
