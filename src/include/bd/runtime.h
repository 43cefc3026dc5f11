#pragma once
// Process-wide compute setup: thread count and device choice. Torch-free so the GUI
// and the CLI can call it without pulling LibTorch headers.
#include <string>

namespace bd {

std::string version();

// Busy-waiting OpenMP workers (libgomp's default) burn shared cores: perf showed 70-80 %
// of the time spinning in libgomp and training or editing running several times slower
// whenever anything else ran. libgomp reads OMP_WAIT_POLICY once, when it loads (before
// main), so unless the user chose a policy this sets PASSIVE and re-executes the program.
// Call it first thing in main; it returns only when no restart was needed or possible.
void restart_with_passive_openmp_wait(char** argv);

// LibTorch frees and allocates tensors of hundreds of KB to MBs every op. glibc's
// defaults give such blocks back to the kernel (mmap above an adaptive threshold, heap
// trimming above 128 KB free), so nearly every op page-faults freshly zeroed memory:
// perf showed 35 % of a ToyWorld edit in the kernel, and the edit ran 2.3x slower. This
// keeps freed memory in the process for reuse (blocks up to 256 MB come from the heap,
// which is trimmed only above 1 GB free); the price is that the process keeps its peak
// heap. Process-wide and idempotent; configure_process calls it. No-op outside glibc.
void keep_freed_memory_for_reuse();

// The one call an application makes at start-up, after restart_with_passive_openmp_wait:
// the allocator policy (keep_freed_memory_for_reuse) and LibTorch's intra-op thread
// count for the application's own threads (threads <= 0: all cores). The engine library
// changes neither; each engine runs its lanes on its own workers (EngineOptions::threads).
// Returns the thread count in effect.
int configure_process(int threads);

// Sets LibTorch's intra-op thread count (LibTorch defaults to 1 here). threads <= 0
// means all hardware threads. Returns the count in effect.
int set_threads(int threads);
int hardware_threads();

// "auto" picks CUDA when this LibTorch build and the machine have it, else CPU.
// Accepts "cpu", "cuda", "cuda:N". Throws bd::Error(InvalidInput) on anything else
// or on CUDA requested without CUDA support.
std::string resolve_device(const std::string& requested);

// A one-line description of the LibTorch build (version, CUDA, BLAS threads).
std::string backend_summary();

}  // namespace bd
