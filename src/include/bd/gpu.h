#pragma once
// What the process can tell about its GPUs, torch-free so the editor and the CLI can
// show it. Everything here answers "none" in a LibTorch build without CUDA (Debian's) and
// on a machine without an NVIDIA driver; nothing here throws.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bd {

struct GpuDevice {
  int index = 0;               // as in "cuda:N"
  std::string name;            // "NVIDIA GeForce RTX 4090"
  std::uint64_t total_bytes = 0;
  int compute_major = 0;       // compute capability, e.g. 8.9
  int compute_minor = 0;
};

// The LibTorch version the program runs on ("2.15.0", "1.13.1").
std::string torch_version();
// Whether this LibTorch build has CUDA kernels at all.
bool torch_built_with_cuda();
// The usable CUDA devices (empty without a CUDA build, driver or GPU).
std::vector<GpuDevice> cuda_devices();

struct GpuMemory {
  std::uint64_t free_bytes = 0;       // on the device, all processes counted
  std::uint64_t total_bytes = 0;
  std::uint64_t reserved_bytes = 0;   // held by LibTorch's caching allocator in this process
  std::uint64_t allocated_bytes = 0;  // of that, in live tensors now
  std::uint64_t limit_bytes = 0;      // the cap limit_gpu_memory set; 0: none
  std::uint64_t peak_allocated_bytes = 0;  // tensors' peak since the last reset
};
// None when the device does not exist or CUDA is absent. Cheap enough for a status bar.
std::optional<GpuMemory> gpu_memory(int device);
void reset_gpu_peak_memory(int device);

// Caps the caching allocator of this process at `bytes` on `device` (PyTorch's
// set_per_process_memory_fraction), as if the card were that small; 0 lifts the cap.
// Returns false when CUDA or the device is absent.
bool limit_gpu_memory(int device, std::uint64_t bytes);

// Multi-line text for --version and About: LibTorch version, CUDA, each GPU and its memory.
std::string gpu_report();

// "7.9 GB" (decimal, one decimal place).
std::string format_bytes(std::uint64_t bytes);
// "8G", "8GB", "7.5GiB", "512M", "1000000": decimal units, or binary with "i"; nullopt for
// anything else (empty, negative, unknown unit, overflow).
std::optional<std::uint64_t> parse_byte_size(const std::string& text);

}  // namespace bd
