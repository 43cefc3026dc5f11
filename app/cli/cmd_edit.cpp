// `blendiff-cli edit`: one Blended Diffusion edit from the command line, with every
// parameter of the original main.py, writing ranked PNGs and a JSON report.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "bd/engine.h"
#include "bd/parameters_text.h"
#include "bd/error.h"
#include "bd/runtime.h"
#include "commands.h"
#include "bd/paths.h"
#include "demo_scene.h"
#include "edit_options.h"
#include "engine_options.h"
#include "io/atomic_file.h"

namespace fs = std::filesystem;

namespace bd::cli {

namespace {

struct EditOptions {
  std::string image, mask, prompt, pack, out;
  bool demo = false;
  bool resize_mask = false;
};

void progress_bar(const StepInfo& s) {
  static const bool tty = ::isatty(STDERR_FILENO) != 0;
  if (!tty) return;
  const int width = 30;
  const int filled = s.total ? width * s.step / s.total : width;
  std::fprintf(stderr, "\r[%.*s%*s] %d/%d steps, %.0f s elapsed, ETA %.0f s ", filled,
               "##############################", width - filled, "", s.step, s.total, s.elapsed_s, s.eta_s);
  if (s.step == s.total) std::fprintf(stderr, "\n");
  std::fflush(stderr);
}

// "0.8218" -> "08218", as the original names its ranked files (sortable by name).
std::string score_tag(double score) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", score);
  std::string s = buf;
  s.erase(std::remove(s.begin(), s.end(), '.'), s.end());
  return s;
}

void same_file_guard(const std::string& input, const fs::path& output) {
  std::error_code ec;
  if (fs::exists(output, ec) && fs::equivalent(input, output, ec))
    throw Error(ErrorKind::InvalidInput, "refusing to overwrite the input image " + input + " with a result");
}

int run_edit(EditOptions o, const EditParamOptions& given, const EngineCliOptions& compute) {
  if (o.demo) {
    const DemoScene demo = find_demo_scene();
    if (o.image.empty()) o.image = demo.image;
    if (o.mask.empty()) o.mask = demo.mask;
    if (o.prompt.empty()) o.prompt = demo.prompt;
  }
  if (o.image.empty() || o.mask.empty())
    throw Error(ErrorKind::InvalidInput, "--image and --mask are required (or --demo)");
  const std::string pack_dir = o.pack.empty() ? default_pack_dir() : o.pack;
  if (pack_dir.empty())
    throw Error(ErrorKind::ModelFiles, "no model pack given and the ToyWorld pack was not found (use --pack DIR)");
  const ModelPack pack = load_model_pack(pack_dir);

  EditRequest request;
  request.params = pack.defaults;
  given.apply(request.params);
  if (const std::string problem = validate(request.params); !problem.empty())
    throw Error(ErrorKind::InvalidInput, problem);
  request.prompt = o.prompt;
  request.image = load_image(o.image);
  request.mask = load_image(o.mask);
  if (request.mask.width != request.image.width || request.mask.height != request.image.height) {
    if (!o.resize_mask)
      throw Error(ErrorKind::InvalidInput,
                  "the mask is " + std::to_string(request.mask.width) + "x" + std::to_string(request.mask.height) +
                      " but the image is " + std::to_string(request.image.width) + "x" +
                      std::to_string(request.image.height) + " (pass --resize-mask to stretch it)");
    request.mask = resize_nearest(request.mask, request.image.width, request.image.height);
    std::fprintf(stderr, "blendiff-cli: warning: mask resized (nearest) to %dx%d\n", request.image.width,
                 request.image.height);
  }
  request.callbacks.on_step = progress_bar;

  auto engine = Engine::load(pack, to_engine_options(compute));
  const EditResult result = engine->edit(request);
  for (const auto& w : result.warnings) std::fprintf(stderr, "blendiff-cli: warning: %s\n", w.c_str());

  const fs::path ranked = fs::path(o.out) / "ranked";
  fs::create_directories(ranked);
  nlohmann::ordered_json report;
  report["prompt"] = o.prompt;
  report["image"] = o.image;
  report["mask"] = o.mask;
  report["pack"] = pack.name;
  report["device"] = engine->device();
  report["precision"] = precision_name(engine->precision());
  if (!result.warnings.empty()) report["warnings"] = result.warnings;
  report["status"] = result.status == EditStatus::Done ? "done" : "cancelled";
  int rank = 0;
  for (const Candidate& c : result.candidates) {
    char name[64];
    std::snprintf(name, sizeof name, "%02d_%s.png", rank, score_tag(c.score).c_str());
    const fs::path file = ranked / name;
    same_file_guard(o.image, file);
    save_image(file.string(), c.image,
               {{"parameters", parameters_text(o.prompt, request.params, c.seed, c.score, pack.name)}});
    report["candidates"].push_back({{"rank", rank}, {"file", (fs::path("ranked") / name).string()},
                                    {"score", c.score}, {"seed", c.seed}, {"iteration", c.iteration},
                                    {"index", c.index}});
    ++rank;
  }
  report["timings"] = {{"prepare_s", result.timings.prepare_s}, {"sampling_s", result.timings.sampling_s},
                       {"per_step_s", result.timings.per_step_s}, {"total_s", result.timings.total_s}};
  io::write_file_atomically((fs::path(o.out) / "report.json").string(), report.dump(1) + "\n");
  std::printf("%zu candidates ranked in %s (best: %s, score %.4f); report: %s\n", result.candidates.size(),
              ranked.string().c_str(), report["candidates"][0]["file"].get<std::string>().c_str(),
              result.candidates.front().score, (fs::path(o.out) / "report.json").string().c_str());
  return 0;
}

}  // namespace

void add_edit_command(CLI::App& app, Command* selected) {
  auto o = std::make_shared<EditOptions>();
  auto* cmd = app.add_subcommand("edit", "Edit the masked region of an image to match a text prompt");
  cmd->add_option("--image,-i", o->image, "Source image (PNG, JPEG, WebP, TIFF, BMP); never overwritten");
  cmd->add_option("--mask,-m", o->mask, "Mask image of the same size: nonzero pixels = edit here");
  cmd->add_option("--prompt,-p", o->prompt, "What the region should show; \"\" = plain inpainting");
  cmd->add_option("--pack", o->pack, "Model pack folder (default: the ToyWorld pack)");
  cmd->add_option("--out,-o", o->out, "Output folder: ranked/<rank>_<score>.png and report.json")->required();
  auto compute = std::make_shared<EngineCliOptions>();
  add_engine_options(cmd, compute);
  cmd->add_flag("--demo", o->demo, "Use the bundled sample scene, mask and prompt");
  cmd->add_flag("--resize-mask", o->resize_mask, "Stretch a mask of another size to the image (nearest)");

  auto params = std::make_shared<EditParamOptions>();
  add_edit_param_options(cmd, params);
  cmd->callback([o, params, compute, selected] {
    *selected = [o, params, compute] { return run_edit(*o, *params, *compute); };
  });
}

}  // namespace bd::cli
