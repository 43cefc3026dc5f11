#include "toyworld/edit_benchmark.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "bd/error.h"
#include "toyworld/oracle.h"

namespace bd::toyworld {

namespace {

struct ColourShape {
  Colour colour;
  Shape shape;
};

// The 40 "a <colour> <shape>" prompts CLIP chooses among for its own verdict.
const std::vector<ColourShape>& all_pairs() {
  static const std::vector<ColourShape> pairs = [] {
    std::vector<ColourShape> v;
    for (int c = 0; c < kNumColours; ++c)
      for (int s = 0; s < kNumShapes; ++s) v.push_back({static_cast<Colour>(c), static_cast<Shape>(s)});
    return v;
  }();
  return pairs;
}

std::vector<std::string> all_pair_prompts() {
  std::vector<std::string> prompts;
  for (const auto& p : all_pairs()) prompts.push_back(object_phrase(p.colour, p.shape));
  return prompts;
}

cv::Mat mat_of(const Image& image) {
  return cv::Mat(image.height, image.width, CV_8UC(image.channels), const_cast<std::uint8_t*>(image.data.data()));
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

std::string percent(const Rate& r) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%5.1f %% (%d/%d)", r.percent(), r.hits, r.total);
  return buf;
}

nlohmann::ordered_json rate_json(const Rate& r) {
  return {{"percent", std::round(r.percent() * 10) / 10}, {"hits", r.hits}, {"total", r.total}};
}

}  // namespace

EditCase benchmark_case(std::uint64_t seed) {
  if (seed & kTrainingSeedBit)
    throw Error(ErrorKind::InvalidInput, "benchmark seeds must be below 2^63 (those are training scenes)");
  return generate_edit_case(seed, EditCaseOptions{});
}

BackgroundDiff background_diff(const Image& original, const Image& edited, const Image& mask, int band_px) {
  if (original.width != edited.width || original.height != edited.height || original.channels != edited.channels ||
      original.depth != 8 || edited.depth != 8 || mask.width != original.width || mask.height != original.height ||
      mask.channels != 1)
    throw Error(ErrorKind::InvalidInput, "background_diff: images and mask must be 8-bit and the same size");
  cv::Mat inside = mat_of(mask) > 0;
  cv::Mat band = inside.clone();
  if (band_px > 0)
    cv::dilate(inside, band, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * band_px + 1, 2 * band_px + 1)));
  cv::Mat diff;
  cv::absdiff(mat_of(original), mat_of(edited), diff);
  BackgroundDiff out;
  double squared = 0;
  std::int64_t samples = 0;
  for (int y = 0; y < diff.rows; ++y)
    for (int x = 0; x < diff.cols; ++x) {
      if (inside.at<std::uint8_t>(y, x)) continue;
      const std::uint8_t* d = diff.ptr<std::uint8_t>(y) + static_cast<std::ptrdiff_t>(x) * diff.channels();
      for (int c = 0; c < diff.channels(); ++c) {
        squared += static_cast<double>(d[c]) * d[c];
        out.max_abs = std::max<int>(out.max_abs, d[c]);
        if (!band.at<std::uint8_t>(y, x)) out.max_abs_outside_band = std::max<int>(out.max_abs_outside_band, d[c]);
      }
      samples += diff.channels();
    }
  if (samples > 0 && squared > 0)
    out.psnr_db = std::min(kPsnrCapDb, 10.0 * std::log10(255.0 * 255.0 / (squared / static_cast<double>(samples))));
  return out;
}

namespace {

CaseResult run_case(Engine& engine, const EditBenchmarkOptions& options, std::uint64_t case_seed,
                    const std::vector<std::string>& prompts, EditCase& edit_case, EditResult& result) {
  edit_case = benchmark_case(case_seed);
  EditRequest request;
  request.image = edit_case.scene.image;
  request.mask = edit_case.mask;
  request.prompt = edit_case.prompt;
  request.params = options.params;
  // Each case draws its own candidates; the same case always draws the same ones.
  request.params.seed = options.params.seed + case_seed * 1000;
  const int band_px = std::max(0, options.params.grow_px) + options.params.feather_px + 1;
  const auto t0 = std::chrono::steady_clock::now();
  result = engine.edit(request);

  CaseResult cr;
  cr.seed = case_seed;
  cr.prompt = edit_case.prompt;
  cr.empty_area = edit_case.object_index < 0;
  cr.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const Candidate& c : result.candidates) {
    CandidateScore s;
    s.seed = c.seed;
    s.clip_distance = c.score;
    const OracleVerdict v = judge(c.image, edit_case.mask, edit_case.colour, edit_case.shape);
    s.colour_ok = v.colour_ok;
    // Shape on its own: the dominant palette colour's outline, whatever that colour is.
    s.shape_ok = v.reading.found && v.reading.shape == edit_case.shape;
    s.oracle_reading = v.reading.found ? std::string(name(v.reading.colour)) + " " + name(v.reading.shape) : "nothing";
    const std::vector<double> d = engine.prompt_distances(c.image, edit_case.mask, prompts, request.params);
    const auto best = static_cast<std::size_t>(std::min_element(d.begin(), d.end()) - d.begin());
    s.clip_says_ok = all_pairs()[best].colour == edit_case.colour && all_pairs()[best].shape == edit_case.shape;
    const BackgroundDiff bg = background_diff(edit_case.scene.image, c.image, edit_case.mask, band_px);
    s.background_psnr_db = bg.psnr_db;
    s.background_max_abs = bg.max_abs;
    s.max_abs_outside_band = bg.max_abs_outside_band;
    cr.candidates.push_back(std::move(s));
  }
  return cr;
}

}  // namespace

EditBenchmarkReport run_edit_benchmark(Engine& engine, const EditBenchmarkOptions& options,
                                       const CaseProgress& on_case) {
  return run_edit_benchmark(std::vector<Engine*>{&engine}, options, on_case);
}

EditBenchmarkReport run_edit_benchmark(const std::vector<Engine*>& engines, const EditBenchmarkOptions& options,
                                       const CaseProgress& on_case) {
  if (engines.empty()) throw Error(ErrorKind::InvalidInput, "the benchmark needs an engine");
  if (options.cases < 1) throw Error(ErrorKind::InvalidInput, "the benchmark needs at least one case");
  if (const std::string problem = validate(options.params); !problem.empty())
    throw Error(ErrorKind::InvalidInput, problem);
  EditBenchmarkReport report;
  report.pack = engines.front()->pack().name;
  report.options = options;
  report.cases.resize(static_cast<std::size_t>(options.cases));
  const std::vector<std::string> prompts = all_pair_prompts();

  std::atomic<int> next{0};
  std::mutex progress_mutex;
  std::exception_ptr failure;
  auto work = [&](Engine& engine) {
    for (int i = next++; i < options.cases; i = next++) {
      try {
        EditCase edit_case;
        EditResult result;
        CaseResult cr = run_case(engine, options, options.first_seed + static_cast<std::uint64_t>(i), prompts,
                                 edit_case, result);
        std::lock_guard<std::mutex> lock(progress_mutex);
        if (on_case) on_case(i, cr, edit_case, result);
        report.cases[static_cast<std::size_t>(i)] = std::move(cr);
      } catch (...) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        if (!failure) failure = std::current_exception();
        next = options.cases;  // the others stop after their current case
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t k = 1; k < engines.size(); ++k) threads.emplace_back(work, std::ref(*engines[k]));
  work(*engines.front());
  for (auto& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
  report.summary = summarize(report.cases);
  return report;
}

EditBenchmarkSummary summarize(const std::vector<CaseResult>& cases) {
  EditBenchmarkSummary s;
  s.cases = static_cast<int>(cases.size());
  std::vector<double> psnr, top1_distance, distance, seconds;
  auto count = [](Rate& r, bool hit) {
    r.hits += hit ? 1 : 0;
    ++r.total;
  };
  for (const CaseResult& c : cases) {
    seconds.push_back(c.seconds);
    s.candidates_per_case = std::max<int>(s.candidates_per_case, static_cast<int>(c.candidates.size()));
    if (c.candidates.empty()) continue;
    const CandidateScore& top = c.candidates.front();
    count(s.top1_colour, top.colour_ok);
    count(s.top1_shape, top.shape_ok);
    count(s.top1_joint, top.joint_ok());
    top1_distance.push_back(top.clip_distance);
    for (const CandidateScore& k : c.candidates) {
      count(s.mean_colour, k.colour_ok);
      count(s.mean_shape, k.shape_ok);
      count(s.mean_joint, k.joint_ok());
      count(s.clip_says_ok, k.clip_says_ok);
      count(s.adversarial, k.clip_says_ok && !k.joint_ok());
      if (k.clip_says_ok) count(s.adversarial_of_clip_yes, !k.joint_ok());
      psnr.push_back(k.background_psnr_db);
      distance.push_back(k.clip_distance);
      s.max_background_abs = std::max(s.max_background_abs, k.background_max_abs);
      s.max_abs_outside_band = std::max(s.max_abs_outside_band, k.max_abs_outside_band);
    }
  }
  s.mean_background_psnr_db = mean_of(psnr);
  s.mean_top1_clip_distance = mean_of(top1_distance);
  s.mean_clip_distance = mean_of(distance);
  s.mean_seconds_per_edit = mean_of(seconds);
  return s;
}

std::string describe_settings(const EditParams& p) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s, %s, aug %d%s, clip λ %g, range λ %g, respacing %s skip %d, %d candidates",
                p.local_mode ? "local CLIP-guided (no blending)" : "blended", p.ddim ? "DDIM" : "DDPM", p.aug_num,
                p.random_augmentations ? "" : " (plain views)", p.clip_lambda, p.range_lambda,
                p.timestep_respacing.c_str(), p.skip_timesteps, p.batch_size * p.iterations);
  return buf;
}

std::string report_json(const EditBenchmarkReport& r) {
  const EditBenchmarkSummary& s = r.summary;
  nlohmann::ordered_json j;
  j["benchmark"] = "toyworld-edit/1";
  j["pack"] = r.pack;
  j["settings"] = describe_settings(r.options.params);
  j["first_seed"] = r.options.first_seed;
  j["cases"] = s.cases;
  j["candidates_per_case"] = s.candidates_per_case;
  j["top1"] = {{"colour", rate_json(s.top1_colour)}, {"shape", rate_json(s.top1_shape)},
               {"joint", rate_json(s.top1_joint)}};
  j["all_candidates"] = {{"colour", rate_json(s.mean_colour)}, {"shape", rate_json(s.mean_shape)},
                         {"joint", rate_json(s.mean_joint)}};
  j["clip_says_success"] = rate_json(s.clip_says_ok);
  j["adversarial"] = rate_json(s.adversarial);
  j["adversarial_of_clip_yes"] = rate_json(s.adversarial_of_clip_yes);
  j["background"] = {{"mean_psnr_db", s.mean_background_psnr_db},
                     {"psnr_cap_db", kPsnrCapDb},
                     {"max_abs_outside_mask", s.max_background_abs},
                     {"max_abs_outside_feather_band", s.max_abs_outside_band}};
  j["clip_distance"] = {{"top1_mean", s.mean_top1_clip_distance}, {"all_mean", s.mean_clip_distance}};
  j["seconds_per_edit"] = s.mean_seconds_per_edit;
  auto& list = j["case_results"] = nlohmann::ordered_json::array();
  for (const CaseResult& c : r.cases) {
    nlohmann::ordered_json cj{{"seed", c.seed}, {"prompt", c.prompt}, {"empty_area", c.empty_area},
                              {"seconds", c.seconds}};
    auto& cands = cj["candidates"] = nlohmann::ordered_json::array();
    for (const CandidateScore& k : c.candidates)
      cands.push_back({{"seed", k.seed},
                       {"clip_distance", k.clip_distance},
                       {"oracle", k.oracle_reading},
                       {"colour_ok", k.colour_ok},
                       {"shape_ok", k.shape_ok},
                       {"clip_says_ok", k.clip_says_ok},
                       {"background_psnr_db", k.background_psnr_db},
                       {"background_max_abs", k.background_max_abs},
                       {"max_abs_outside_band", k.max_abs_outside_band}});
    list.push_back(std::move(cj));
  }
  return j.dump(2) + "\n";
}

std::string report_table(const EditBenchmarkReport& r) {
  const EditBenchmarkSummary& s = r.summary;
  std::string out;
  char line[256];
  auto add = [&](const char* label, const std::string& a, const std::string& b = "") {
    std::snprintf(line, sizeof line, "  %-40s %-22s %s\n", label, a.c_str(), b.c_str());
    out += line;
  };
  std::snprintf(line, sizeof line, "ToyWorld edit benchmark: pack %s, %d cases from seed %llu\n  %s\n",
                r.pack.c_str(), s.cases, static_cast<unsigned long long>(r.options.first_seed),
                describe_settings(r.options.params).c_str());
  out += line;
  add("", "top-1 after ranking", "mean over candidates");
  add("colour success", percent(s.top1_colour), percent(s.mean_colour));
  add("shape success", percent(s.top1_shape), percent(s.mean_shape));
  add("colour and shape", percent(s.top1_joint), percent(s.mean_joint));
  add("CLIP says success (40-way)", "", percent(s.clip_says_ok));
  add("adversarial: CLIP yes, oracle no", "", percent(s.adversarial));
  add("  ... of CLIP's yeses", "", percent(s.adversarial_of_clip_yes));
  char v[64];
  std::snprintf(v, sizeof v, "%.1f dB (cap %.0f)", s.mean_background_psnr_db, kPsnrCapDb);
  add("background PSNR outside the mask", v);
  add("max |diff| outside the mask", std::to_string(s.max_background_abs));
  add("max |diff| outside the feather band", std::to_string(s.max_abs_outside_band));
  char w[64];
  std::snprintf(v, sizeof v, "%.4f", s.mean_top1_clip_distance);
  std::snprintf(w, sizeof w, "%.4f", s.mean_clip_distance);
  add("CLIP distance (lower is closer)", v, w);
  std::snprintf(v, sizeof v, "%.2f s", s.mean_seconds_per_edit);
  add("seconds per edit", v);
  return out;
}

}  // namespace bd::toyworld
