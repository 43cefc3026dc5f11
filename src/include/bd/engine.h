#pragma once
// The engine's public face: load a model pack once, then run edits. Torch-free, so the
// GUI, the CLI and the tests share these entry points. One Engine belongs to one thread
// at a time (the GUI's worker); weights are immutable after loading.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bd/edit_params.h"
#include "bd/image.h"
#include "bd/model_pack.h"

namespace bd {

// The dtype of the networks' heavy layers (convolutions, linear layers, attention); norms
// and the diffusion maths stay float32 in every mode.
enum class Precision {
  Auto,      // float16 on CUDA (the original's use_fp16), float32 on the CPU
  Float32,
  Float16,   // CUDA only: CPU kernels for fp16 convolutions are missing or slow
  BFloat16,  // CUDA (Ampere or newer) or CPUs with AVX-512 BF16
};
// "auto", "fp32", "fp16", "bf16".
std::string precision_name(Precision precision);
// Accepts the names above; nullopt for anything else.
std::optional<Precision> parse_precision(const std::string& name);

struct EngineOptions {
  std::string device = "auto";  // "auto", "cpu", "cuda", "cuda:N"
  // CPU threads this engine's edits use (its own worker threads; the process's LibTorch
  // setting is left alone). 0 = all cores; -1 = as many as the process's setting.
  int threads = 0;
  Precision precision = Precision::Auto;
  // GPU only. Candidates stepped at once; 0 sizes it from the free memory (the whole
  // batch at first, halved on out-of-memory, then from what the first steps used).
  int micro_batch = 0;
  // GPU only. Caps this process's GPU memory as if the card had this many bytes (0: the
  // whole card); for sharing a card, and for testing what a smaller one can do.
  std::uint64_t gpu_memory_limit = 0;
};

struct StepInfo {
  int step = 0;        // 1-based, over all iterations
  int total = 0;
  int iteration = 0;   // 0-based
  double elapsed_s = 0.0;
  double eta_s = 0.0;
};

struct Candidate {
  Image image;              // the full-resolution result (composited)
  double score = 0.0;       // CLIP distance of the masked result; lower is better
  std::uint64_t seed = 0;   // re-running with this seed, batch 1, reproduces it
  int iteration = 0;
  int index = 0;            // within its batch
  double seconds = 0.0;     // wall time of its batch
};

// A live preview: x̂₀ blended into the original like a result, but only the part of the
// image an edit can change (the edit's box). Outside it the preview is the original, so
// a preview of a 4096² photo costs what its edited region does.
struct Preview {
  int step = 0;
  int x = 0;    // where `patch` lies in the full-resolution image
  int y = 0;
  Image patch;  // the original's depth and channels
};

struct EditCallbacks {
  std::function<void(const StepInfo&)> on_step;
  std::function<void(const Preview&)> on_preview;  // every `preview_every` steps
  // Each candidate as it is finished. When set, the candidate's pixels are handed over
  // here only: EditResult::candidates then keeps its score, seed and place, no image.
  std::function<void(const Candidate&)> on_candidate;
  const std::atomic<bool>* cancel = nullptr;  // checked once per step
};

struct EditRequest {
  Image image;
  Image mask;           // same size as image; nonzero = edit here
  std::string prompt;   // "" = no guidance (pure blended inpainting)
  EditParams params;
  EditCallbacks callbacks;
};

enum class EditStatus { Done, Cancelled };

struct EditTimings {
  double load_s = 0.0;
  double prepare_s = 0.0;
  double sampling_s = 0.0;
  double per_step_s = 0.0;
  double total_s = 0.0;
};

struct EditResult {
  EditStatus status = EditStatus::Done;
  std::vector<Candidate> candidates;  // sorted by score, best first (see on_candidate)
  EditTimings timings;
  std::vector<std::string> warnings;  // e.g. prompt truncated
};

class Engine {
 public:
  // Loads the pack's networks and tokenizer. Throws bd::Error(ModelFiles) naming what is
  // missing or wrong.
  static std::unique_ptr<Engine> load(const ModelPack& pack, const EngineOptions& options = {});
  ~Engine();

  // Runs one request. Throws bd::Error(InvalidInput) for bad images, masks or params;
  // cancellation is a status, not an error.
  EditResult edit(const EditRequest& request);

  // CLIP distance (the ranking score: lower is better) of the masked region of `image`
  // to each prompt, seen as ranking sees a finished candidate. The region is prepared with
  // `params`' mask settings. Benchmarks use it to ask which prompt CLIP thinks fits best.
  std::vector<double> prompt_distances(const Image& image, const Image& mask,
                                       const std::vector<std::string>& prompts,
                                       const EditParams& params = {});

  const ModelPack& pack() const;
  std::string device() const;
  Precision precision() const;  // as resolved: never Auto

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bd
