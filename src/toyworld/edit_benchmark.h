#pragma once
// The ToyWorld edit benchmark: a fixed set of held-out edit cases (scene, mask, prompt),
// each edited by the engine and judged by the classical-vision oracle, so the paper's
// claims (the prompt is followed, the background is kept, ranking and augmentations
// help) become numbers. Torch-free: it drives the public bd::Engine.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bd/edit_params.h"
#include "bd/engine.h"
#include "toyworld/scene.h"

namespace bd::toyworld {

struct EditBenchmarkOptions {
  int cases = 100;
  // Case seeds are first_seed, first_seed + 1, …: below kTrainingSeedBit, so no case
  // scene was ever drawn in training.
  std::uint64_t first_seed = 1;
  EditParams params;  // the pack's defaults plus the command line's changes
};

struct CandidateScore {
  std::uint64_t seed = 0;
  double clip_distance = 0;  // the engine's ranking score
  bool colour_ok = false, shape_ok = false;
  std::string oracle_reading;  // what the oracle saw ("red star", "nothing")
  // CLIP's own verdict: of the 40 prompts "a <colour> <shape>", the requested pair is
  // the closest to the result.
  bool clip_says_ok = false;
  double background_psnr_db = 0;     // outside the mask; capped at kPsnrCapDb when identical
  int background_max_abs = 0;        // outside the mask, 0..255
  int max_abs_outside_band = 0;      // outside the mask's grow + feather band
  bool joint_ok() const { return colour_ok && shape_ok; }
};

struct CaseResult {
  std::uint64_t seed = 0;
  std::string prompt;
  bool empty_area = false;  // the mask covered background, not an object
  std::vector<CandidateScore> candidates;  // best ranked first
  double seconds = 0;
};

constexpr double kPsnrCapDb = 100.0;

struct Rate {
  int hits = 0, total = 0;
  double percent() const { return total ? 100.0 * hits / total : 0.0; }
};

struct EditBenchmarkSummary {
  int cases = 0, candidates_per_case = 0;
  Rate top1_colour, top1_shape, top1_joint;  // the ranked-first candidate of each case
  Rate mean_colour, mean_shape, mean_joint;  // every candidate
  Rate clip_says_ok;                         // every candidate
  Rate adversarial;                          // CLIP says yes, the oracle says no (every candidate)
  Rate adversarial_of_clip_yes;              // the same, of CLIP's yeses only
  double mean_background_psnr_db = 0;
  int max_background_abs = 0, max_abs_outside_band = 0;
  double mean_top1_clip_distance = 0, mean_clip_distance = 0;
  double mean_seconds_per_edit = 0;
};

struct EditBenchmarkReport {
  std::string pack;
  EditBenchmarkOptions options;
  std::vector<CaseResult> cases;
  EditBenchmarkSummary summary;
};

using CaseProgress = std::function<void(int index, const CaseResult&, const EditCase&, const EditResult&)>;

// The held-out edit case with this seed (same as the benchmark's).
EditCase benchmark_case(std::uint64_t seed);

// Runs the cases on as many threads as there are engines, each thread with its own engine
// (an Engine belongs to one thread at a time). Results are in case order whatever the
// order they finish in; on_case is called once per case, one call at a time.
EditBenchmarkReport run_edit_benchmark(const std::vector<Engine*>& engines, const EditBenchmarkOptions& options,
                                       const CaseProgress& on_case = {});
EditBenchmarkReport run_edit_benchmark(Engine& engine, const EditBenchmarkOptions& options,
                                       const CaseProgress& on_case = {});

EditBenchmarkSummary summarize(const std::vector<CaseResult>& cases);

// Background statistics of `edited` against `original` outside `mask` (1 channel,
// nonzero = edited), and outside the mask dilated by band_px.
struct BackgroundDiff {
  double psnr_db = kPsnrCapDb;
  int max_abs = 0;
  int max_abs_outside_band = 0;
};
BackgroundDiff background_diff(const Image& original, const Image& edited, const Image& mask, int band_px);

// A one-line description of the settings ("blended, aug 8, λ 100, respacing 100 skip 25, 4
// candidates").
std::string describe_settings(const EditParams& params);
std::string report_json(const EditBenchmarkReport& report);
std::string report_table(const EditBenchmarkReport& report);

}  // namespace bd::toyworld
