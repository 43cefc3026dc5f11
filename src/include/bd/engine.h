#pragma once
// The engine's public face: load a model pack once, then run edits. Torch-free, so the
// GUI, the CLI and the tests share these entry points. One Engine belongs to one thread
// at a time (the GUI's worker); weights are immutable after loading.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bd/edit_params.h"
#include "bd/image.h"
#include "bd/model_pack.h"

namespace bd {

struct EngineOptions {
  std::string device = "auto";  // "auto", "cpu", "cuda", "cuda:N"
  int threads = 0;              // CPU threads; 0 = all cores; -1 = keep the process's setting
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
  std::vector<Candidate> candidates;  // sorted by score, best first
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

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bd

namespace bd {

// The PNG "parameters" text of a result, in the style other diffusion tools write:
// the prompt on the first line, then "Steps: 75, Sampler: DDPM, Seed: 404, Score: ...".
std::string parameters_text(const std::string& prompt, const EditParams& params,
                            const Candidate& candidate, const std::string& model);

}  // namespace bd
