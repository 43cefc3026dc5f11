// bench_edit_memory [--pack DIR] [--edits N] [--max-growth PERCENT] [--threads N]
// N consecutive edits (default 50) in one process with one Engine, as the editor runs
// them: resident memory after every edit, and the growth from edit 5 to edit N (issue 7
// asks for at most 5 %). Prints one line per edit, then a JSON summary; with
// --max-growth it exits 1 when the growth is larger.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "bd/engine.h"
#include "bd/error.h"
#include "bd/paths.h"
#include "bd/runtime.h"

namespace {

double resident_mib() {
  long pages = 0, resident = 0;
  std::ifstream statm("/proc/self/statm");
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

}  // namespace

int main(int argc, char** argv) {
  bd::restart_with_passive_openmp_wait(argv);  // as the real programs: no spinning OpenMP workers
  std::string pack_dir = bd::default_pack_dir();
  int edits = 50, threads = 2;
  double max_growth = -1.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--pack") pack_dir = argv[i + 1];
    else if (a == "--edits") edits = std::atoi(argv[i + 1]);
    else if (a == "--max-growth") max_growth = std::atof(argv[i + 1]);
    else if (a == "--threads") threads = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: bench_edit_memory [--pack DIR] [--edits N] [--max-growth PERCENT] [--threads N]\n");
      return 2;
    }
  }
  if (edits < 5) edits = 5;
  try {
    if (pack_dir.empty()) throw bd::Error(bd::ErrorKind::ModelFiles, "no ToyWorld pack found (use --pack DIR)");
    const std::string samples = bd::samples_dir();
    if (samples.empty()) throw bd::Error(bd::ErrorKind::InvalidInput, "resources/samples not found");
    bd::configure_process(threads);  // as the real programs: the allocator policy
    auto engine = bd::Engine::load(bd::load_model_pack(pack_dir), {"cpu", threads});
    bd::EditRequest request;
    request.image = bd::load_image(samples + "/toyworld_1.png");
    request.mask = bd::load_image(samples + "/toyworld_1_mask.png");
    request.params = engine->pack().defaults;
    // Small steps: the question is what each edit leaves behind, not how good it is.
    request.params.timestep_respacing = "10";
    request.params.skip_timesteps = 5;
    request.params.batch_size = 2;
    request.params.iterations = 1;
    request.params.preview_every = 2;
    int previews = 0;
    request.callbacks.on_preview = [&](const bd::Preview&) { ++previews; };
    const std::vector<std::string> prompts = {"a red star", "a blue circle", "a small green triangle", ""};

    std::vector<double> rss;
    std::printf("edit  rss_mib  seconds\n");
    for (int i = 1; i <= edits; ++i) {
      request.prompt = prompts[i % prompts.size()];
      request.params.seed = 1000 + i;
      const auto t0 = std::chrono::steady_clock::now();
      const bd::EditResult result = engine->edit(request);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (result.candidates.size() != 2) throw bd::Error(bd::ErrorKind::Backend, "an edit returned no candidates");
      rss.push_back(resident_mib());
      std::printf("%4d  %7.1f  %7.2f\n", i, rss.back(), s);
      std::fflush(stdout);
    }
    const double at5 = rss[4], last = rss.back();
    const double growth = 100.0 * (last - at5) / at5;
    std::printf("{\"pack\": \"%s\", \"edits\": %d, \"rss_after_edit_5_mib\": %.1f, \"rss_after_edit_%d_mib\": %.1f, "
                "\"growth_percent\": %.2f, \"previews\": %d}\n",
                engine->pack().name.c_str(), edits, at5, edits, last, growth, previews);
    if (max_growth >= 0 && growth > max_growth) {
      std::fprintf(stderr, "bench_edit_memory: resident memory grew %.2f %% from edit 5 to edit %d (limit %.1f %%)\n",
                   growth, edits, max_growth);
      return 1;
    }
  } catch (const bd::Error& e) {
    std::fprintf(stderr, "bench_edit_memory: %s\n", e.what());
    return 1;
  }
  return 0;
}
