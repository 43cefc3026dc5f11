#include "bd/gpu.h"

#include <torch/cuda.h>
#include <torch/version.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <map>

#if defined(BLENDIFF_WITH_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <cuda_runtime_api.h>
#endif

namespace bd {

std::string torch_version() { return TORCH_VERSION; }

bool torch_built_with_cuda() {
#if defined(BLENDIFF_WITH_CUDA)
  return true;
#else
  return false;
#endif
}

std::string format_bytes(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GB", static_cast<double>(bytes) / 1e9);
  return text;
}

std::optional<std::uint64_t> parse_byte_size(const std::string& text) {
  std::size_t used = 0;
  double value = 0.0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!(value >= 0.0) || text.find_first_of("eEnNxX") != std::string::npos) return std::nullopt;
  std::string unit = text.substr(used);
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  const bool binary = !unit.empty() && unit.back() == 'i';
  if (binary) unit.pop_back();
  const double base = binary ? 1024.0 : 1000.0;
  double scale = 1.0;
  if (unit == "K" || unit == "k") scale = base;
  else if (unit == "M") scale = base * base;
  else if (unit == "G") scale = base * base * base;
  else if (unit == "T") scale = base * base * base * base;
  else if (!unit.empty() || binary) return std::nullopt;
  const double bytes = value * scale;
  if (bytes >= 1.8e19) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

#if defined(BLENDIFF_WITH_CUDA)

namespace {

bool valid_device(int device) {
  return device >= 0 && torch::cuda::is_available() && device < static_cast<int>(torch::cuda::device_count());
}

// The caps set through limit_gpu_memory, by device (the allocator does not report them).
std::map<int, std::uint64_t>& memory_limits() {
  static std::map<int, std::uint64_t> limits;
  return limits;
}

}  // namespace

std::vector<GpuDevice> cuda_devices() {
  std::vector<GpuDevice> out;
  if (!torch::cuda::is_available()) return out;
  const int count = static_cast<int>(torch::cuda::device_count());
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp props{};
    if (cudaGetDeviceProperties(&props, i) != cudaSuccess) continue;
    GpuDevice d;
    d.index = i;
    d.name = props.name;
    d.total_bytes = props.totalGlobalMem;
    d.compute_major = props.major;
    d.compute_minor = props.minor;
    out.push_back(std::move(d));
  }
  return out;
}

std::optional<GpuMemory> gpu_memory(int device) {
  if (!valid_device(device)) return std::nullopt;
  GpuMemory m;
  int previous = 0;
  if (cudaGetDevice(&previous) != cudaSuccess) return std::nullopt;
  cudaSetDevice(device);
  std::size_t free = 0, total = 0;
  const bool ok = cudaMemGetInfo(&free, &total) == cudaSuccess;
  cudaSetDevice(previous);
  if (!ok) return std::nullopt;
  m.free_bytes = free;
  m.total_bytes = total;
  using c10::cuda::CUDACachingAllocator::getDeviceStats;
  const auto stats = getDeviceStats(static_cast<c10::DeviceIndex>(device));
  const auto aggregate = static_cast<std::size_t>(c10::CachingAllocator::StatType::AGGREGATE);
  m.reserved_bytes = static_cast<std::uint64_t>(stats.reserved_bytes[aggregate].current);
  m.allocated_bytes = static_cast<std::uint64_t>(stats.allocated_bytes[aggregate].current);
  m.limit_bytes = memory_limits()[device];
  m.peak_allocated_bytes = static_cast<std::uint64_t>(stats.allocated_bytes[aggregate].peak);
  return m;
}

void reset_gpu_peak_memory(int device) {
  if (valid_device(device))
    c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device));
}

bool limit_gpu_memory(int device, std::uint64_t bytes) {
  if (!valid_device(device)) return false;
  const auto m = gpu_memory(device);
  if (!m || m->total_bytes == 0) return false;
  const double fraction = bytes == 0 ? 1.0 : std::min(1.0, static_cast<double>(bytes) / m->total_bytes);
  c10::cuda::CUDACachingAllocator::setMemoryFraction(fraction, static_cast<c10::DeviceIndex>(device));
  memory_limits()[device] = bytes;
  return true;
}

#else  // a LibTorch without CUDA

std::vector<GpuDevice> cuda_devices() { return {}; }
std::optional<GpuMemory> gpu_memory(int) { return std::nullopt; }
void reset_gpu_peak_memory(int) {}
bool limit_gpu_memory(int, std::uint64_t) { return false; }

#endif

std::string gpu_report() {
  std::string s = "LibTorch " + torch_version();
  if (!torch_built_with_cuda()) return s + " (CPU only: built without CUDA)\nCUDA: not available";
  s += " (with CUDA)\n";
  const std::vector<GpuDevice> devices = cuda_devices();
  if (devices.empty()) return s + "CUDA: not available (no NVIDIA driver or GPU found)";
  s += "CUDA: available, " + std::to_string(devices.size()) + (devices.size() == 1 ? " GPU" : " GPUs");
  for (const GpuDevice& d : devices) {
    s += "\n  cuda:" + std::to_string(d.index) + "  " + d.name + ", " + format_bytes(d.total_bytes) +
         ", compute " + std::to_string(d.compute_major) + "." + std::to_string(d.compute_minor);
    if (const auto m = gpu_memory(d.index)) s += ", " + format_bytes(m->free_bytes) + " free";
  }
  return s;
}

}  // namespace bd
