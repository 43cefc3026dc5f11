// `blendiff-cli bench toyworld`: the ToyWorld edit benchmark (src/toyworld/edit_benchmark.h)
// with the pack's recommended parameters, or the ablations' (--local, --aug-num 1, …).
#include <cstdio>
#include <filesystem>

#include "bd/engine.h"
#include "bd/error.h"
#include "bd/paths.h"
#include "commands.h"
#include "edit_options.h"
#include "engine_options.h"
#include "io/atomic_file.h"
#include "toyworld/edit_benchmark.h"

namespace fs = std::filesystem;

namespace bd::cli {

namespace {

struct BenchOptions {
  std::string pack, out;
  int cases = 100;
  int jobs = 1;
  std::uint64_t first_seed = 1;
  bool images = false;
};

// One row per case: the scene, the mask, then the candidates best first, 4x enlarged.
Image case_strip(const toyworld::EditCase& c, const EditResult& result) {
  const int s = c.scene.image.width, scale = 4, n = 2 + static_cast<int>(result.candidates.size());
  Image strip;
  strip.width = n * s * scale;
  strip.height = s * scale;
  strip.channels = 3;
  strip.data.assign(static_cast<std::size_t>(strip.width) * strip.height * 3, 0);
  auto put = [&](int slot, const Image& img) {
    for (int y = 0; y < strip.height; ++y)
      for (int x = 0; x < s * scale; ++x)
        for (int ch = 0; ch < 3; ++ch) {
          const int sx = x / scale, sy = y / scale;
          const std::uint8_t v = img.channels == 1 ? img.data[sy * s + sx] : img.data[(sy * s + sx) * 3 + ch];
          strip.data[(static_cast<std::size_t>(y) * strip.width + slot * s * scale + x) * 3 + ch] = v;
        }
  };
  put(0, c.scene.image);
  put(1, c.mask);
  for (std::size_t i = 0; i < result.candidates.size(); ++i) put(2 + static_cast<int>(i), result.candidates[i].image);
  return strip;
}

int run_bench(const BenchOptions& o, const EditParamOptions& given, const EngineCliOptions& compute) {
  const std::string pack_dir = o.pack.empty() ? default_pack_dir() : o.pack;
  if (pack_dir.empty()) throw Error(ErrorKind::ModelFiles, "the ToyWorld pack was not found (use --pack DIR)");
  const ModelPack pack = load_model_pack(pack_dir);
  toyworld::EditBenchmarkOptions options;
  options.cases = o.cases;
  options.first_seed = o.first_seed;
  options.params = pack.defaults;
  options.params.preview_every = 0;
  given.apply(options.params);
  if (const std::string problem = validate(options.params); !problem.empty())
    throw Error(ErrorKind::InvalidInput, problem);

  EngineOptions engine_options = to_engine_options(compute);
  engine_options.threads = o.jobs > 1 ? 1 : -1;  // one core per case in flight, else --threads
  std::vector<std::unique_ptr<Engine>> engines;
  std::vector<Engine*> workers;
  for (int j = 0; j < o.jobs; ++j) {
    engines.push_back(Engine::load(pack, engine_options));
    workers.push_back(engines.back().get());
  }
  const fs::path out(o.out);
  fs::create_directories(out);
  if (o.images) fs::create_directories(out / "images");
  std::fprintf(stderr, "bench toyworld: %d cases (%d at a time), %s\n", o.cases, o.jobs,
               toyworld::describe_settings(options.params).c_str());

  auto on_case = [&](int i, const toyworld::CaseResult& r, const toyworld::EditCase& c, const EditResult& result) {
    int ok = 0;
    for (const auto& k : r.candidates) ok += k.joint_ok() ? 1 : 0;
    const auto& top = r.candidates.front();
    std::fprintf(stderr, "[%3d/%d] seed %-5llu %-24s top-1 saw %-16s %s  (%d/%zu candidates right) %.1f s\n", i + 1,
                 o.cases, static_cast<unsigned long long>(r.seed), r.prompt.c_str(), top.oracle_reading.c_str(),
                 top.joint_ok() ? "ok  " : (top.colour_ok ? "colour" : "no  "), ok, r.candidates.size(), r.seconds);
    if (o.images) {
      char name[64];
      std::snprintf(name, sizeof name, "%03d_seed%llu.png", i, static_cast<unsigned long long>(r.seed));
      save_image((out / "images" / name).string(), case_strip(c, result));
    }
  };
  const toyworld::EditBenchmarkReport report = toyworld::run_edit_benchmark(workers, options, on_case);
  const std::string table = toyworld::report_table(report);
  io::write_file_atomically((out / "report.json").string(), toyworld::report_json(report));
  io::write_file_atomically((out / "table.txt").string(), table);
  std::printf("%s", table.c_str());
  std::printf("report: %s\n", (out / "report.json").string().c_str());
  return 0;
}

}  // namespace

void add_bench_commands(CLI::App& app, Command* selected) {
  auto* bench = app.add_subcommand("bench", "Benchmarks that judge the engine's edits");
  bench->require_subcommand(1);
  auto o = std::make_shared<BenchOptions>();
  auto* cmd = bench->add_subcommand(
      "toyworld", "Edit held-out ToyWorld scenes and judge them with the classical-vision oracle");
  cmd->add_option("--pack", o->pack, "Model pack folder (default: the ToyWorld pack)");
  cmd->add_option("--out,-o", o->out, "Output folder: report.json, table.txt (and images/)")->required();
  cmd->add_option("--cases", o->cases, "Number of edit cases (100)")->check(CLI::Range(1, 100000));
  cmd->add_option("--first-seed", o->first_seed, "Seed of the first case (1); training never sees seeds < 2^63");
  auto compute = std::make_shared<EngineCliOptions>();
  add_engine_options(cmd, compute);
  cmd->add_option("--jobs", o->jobs, "Cases edited at once, each with its own engine on one CPU thread (1)")
      ->check(CLI::Range(1, 64));
  cmd->add_flag("--images", o->images, "Also write a strip per case: scene, mask, candidates best first");
  auto params = std::make_shared<EditParamOptions>();
  add_edit_param_options(cmd, params);
  cmd->callback([o, params, compute, selected] {
    *selected = [o, params, compute] { return run_bench(*o, *params, *compute); };
  });
}

}  // namespace bd::cli
