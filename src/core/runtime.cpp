#include "bd/runtime.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstdlib>
#include <regex>
#include <thread>

#include "bd/error.h"
#include "core/log.h"

#ifndef BLENDIFF_VERSION
#define BLENDIFF_VERSION "0.0.0"
#endif

namespace bd {

std::string version() { return BLENDIFF_VERSION; }

void restart_with_passive_openmp_wait(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: carry on as we are
}

void keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
  static const bool done = [] {
    const bool ok = mallopt(M_MMAP_THRESHOLD, 256 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1 &&
                    mallopt(M_TOP_PAD, 64 << 20) == 1;
    if (!ok) log::core()->warn("could not tune the allocator: tensors will page-fault more");
    return ok;
  }();
  (void)done;
#endif
}

int configure_process(int threads) {
  keep_freed_memory_for_reuse();
  return set_threads(threads);
}

int hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

int set_threads(int threads) {
  const int n = threads > 0 ? threads : hardware_threads();
  at::set_num_threads(n);
  log::core()->debug("LibTorch intra-op threads: {}", at::get_num_threads());
  return at::get_num_threads();
}

std::string resolve_device(const std::string& requested) {
  const bool has_cuda = torch::cuda::is_available();
  if (requested.empty() || requested == "auto") return has_cuda ? "cuda" : "cpu";
  if (requested == "cpu") return "cpu";
  static const std::regex cuda_re("^cuda(:[0-9]+)?$");
  if (!std::regex_match(requested, cuda_re)) {
    throw Error(ErrorKind::InvalidInput,
                "unknown device '" + requested + "' (expected auto, cpu, cuda or cuda:N)");
  }
  if (!has_cuda) {
    throw Error(ErrorKind::InvalidInput,
                "device '" + requested +
                    "' requested, but this LibTorch build or machine has no CUDA");
  }
  return requested;
}

std::string backend_summary() {
  std::string s = "LibTorch " TORCH_VERSION;
  s += torch::cuda::is_available()
           ? ", CUDA devices: " + std::to_string(torch::cuda::device_count())
           : ", CPU only";
  s += ", threads: " + std::to_string(at::get_num_threads());
  return s;
}

}  // namespace bd
