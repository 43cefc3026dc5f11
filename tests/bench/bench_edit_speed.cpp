// Edit speed of bd::Engine on a configuration of tests/bench/edit_speed_configs.json
// (tiny: the reference vectors' network sizes at 32²; medium: a 64² UNet with 128
// channels and a ViT-B/16-sized CLIP). Random weights are written as a temporary model
// pack, then one text-guided edit runs through the public engine API exactly as the CLI
// runs it. Prints one JSON line: seconds per guided step (median and mean over the
// steps after the first), seconds per candidate, peak resident memory. Not a test:
// python/bench_edit_speed_ref.py times the original loop on the same configuration and
// run_edit_speed.sh prints the ratios.
//
//   bench_edit_speed --config tiny|medium|published [--configs FILE] [--threads N] [--skip N]
//                    [--batch N] [--work DIR]
#include <sys/resource.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "bd/engine.h"
#include "bd/runtime.h"
#include "bd/error.h"
#include "io/safetensors.h"
#include "nn/clip.h"
#include "nn/layers.h"
#include "nn/unet.h"
#include "pack/network_config_json.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// The same rule as the Python side: norm weights 1, biases 0, everything else N(0, 0.02).
// Values differ between the sides, scales do not; nothing here depends on the values
// except the risk of denormals, which this keeps away.
void randomize(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.named_parameters(/*recurse=*/true)) {
    torch::Tensor t = p.value();
    const std::string& name = p.key();
    const bool bias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
    const bool weight = name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0;
    if (bias)
      t.zero_();
    else if (weight && t.dim() == 1)
      t.fill_(1.0);
    else if (t.dim() >= 1)
      t.normal_(0.0, 0.02);
  }
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string default_configs() { return BLENDIFF_SOURCE_DIR "/tests/bench/edit_speed_configs.json"; }

}  // namespace

int main(int argc, char** argv) {
  std::string config_name = "tiny", configs = default_configs(), work;
  int threads = 0, skip = -1, batch = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--config")
      config_name = argv[i + 1];
    else if (a == "--configs")
      configs = argv[i + 1];
    else if (a == "--threads")
      threads = std::atoi(argv[i + 1]);
    else if (a == "--skip")
      skip = std::atoi(argv[i + 1]);
    else if (a == "--batch")
      batch = std::atoi(argv[i + 1]);
    else if (a == "--work")
      work = argv[i + 1];
    else {
      std::fprintf(stderr,
                   "usage: bench_edit_speed --config tiny|medium [--configs FILE] [--threads N] "
                   "[--skip N] [--batch N] [--work DIR]\n");
      return 2;
    }
  }
  try {
    std::ifstream in(configs);
    if (!in) throw bd::Error(bd::ErrorKind::InvalidInput, "cannot read " + configs);
    const nlohmann::json all = nlohmann::json::parse(in);
    if (!all.contains(config_name))
      throw bd::Error(bd::ErrorKind::InvalidInput, "no config '" + config_name + "' in " + configs);
    const nlohmann::json& cfg = all.at(config_name);
    const nlohmann::json& e = cfg.at("edit");

    const bool own_work = work.empty();
    if (own_work)
      work =
          (fs::temp_directory_path() / ("bench_edit_speed_" + std::to_string(::getpid()))).string();
    fs::create_directories(work);

    // The pack: random weights of the configured sizes.
    torch::manual_seed(0);
    const auto t_make = Clock::now();
    {
      bd::nn::UNet unet(
          bd::nn::unet_config_from_args(bd::pack::create_model_args_from_json(cfg.at("unet"))));
      randomize(*unet);
      bd::io::write_safetensors(work + "/unet.safetensors", bd::nn::named_tensors(*unet));
      bd::nn::Clip clip(bd::pack::clip_config_from_json(cfg.at("clip")));
      randomize(*clip);
      bd::io::write_safetensors(work + "/clip.safetensors", bd::nn::named_tensors(*clip));
    }
    std::ofstream(work + "/merges.txt") << "#version: bench\nr e\nre d</w>\na p\nap p\nl e</w>\n";
    const int size = cfg.at("unet").at("image_size").get<int>();
    const nlohmann::json manifest = {
        {"format", "blendiff-pack/1"},
        {"name", "bench-" + config_name},
        {"image_size", size},
        {"unet", {{"file", "unet.safetensors"}, {"create_model", cfg.at("unet")}}},
        {"clip", {{"file", "clip.safetensors"}, {"config", cfg.at("clip")}}},
        {"tokenizer",
         {{"file", "merges.txt"}, {"context_length", cfg.at("clip").at("context_length")}}},
        {"diffusion", {{"steps", 1000}, {"noise_schedule", "linear"}, {"learn_sigma", true}}}};
    std::ofstream(work + "/pack.json") << manifest.dump(1);
    const double make_s = std::chrono::duration<double>(Clock::now() - t_make).count();

    const auto t_load = Clock::now();
    bd::configure_process(threads);  // as the real programs: the allocator policy
    auto engine = bd::Engine::load(bd::load_model_pack(work), {"cpu", threads});
    const double load_s = std::chrono::duration<double>(Clock::now() - t_load).count();

    bd::EditRequest r;
    r.prompt = "a red apple";
    r.image.width = r.image.height = size;
    r.image.channels = 3;
    r.image.data.resize(static_cast<std::size_t>(size) * size * 3);
    for (std::size_t i = 0; i < r.image.data.size(); ++i)
      r.image.data[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 24);
    r.mask = r.image;
    r.mask.channels = 1;
    r.mask.data.assign(static_cast<std::size_t>(size) * size, 0);
    for (int y = size / 4; y < 3 * size / 4; ++y)
      for (int x = size / 4; x < 3 * size / 4; ++x)
        r.mask.data[static_cast<std::size_t>(y) * size + x] = 255;
    bd::EditParams& p = r.params;
    p.timestep_respacing = e.at("timestep_respacing").get<std::string>();
    p.skip_timesteps = skip >= 0 ? skip : e.at("skip_timesteps").get<int>();
    p.batch_size = batch > 0 ? batch : e.at("batch_size").get<int>();
    p.iterations = e.at("iterations").get<int>();
    p.aug_num = e.at("aug_num").get<int>();
    p.clip_lambda = e.at("clip_lambda").get<double>();
    p.range_lambda = e.at("range_lambda").get<double>();
    p.preview_every = 0;

    std::vector<double> step_s;
    auto last = Clock::now();
    r.callbacks.on_step = [&](const bd::StepInfo&) {
      const auto now = Clock::now();
      step_s.push_back(std::chrono::duration<double>(now - last).count());
      last = now;
    };
    const auto t_edit = Clock::now();
    last = t_edit;
    const bd::EditResult result = engine->edit(r);
    const double edit_s = std::chrono::duration<double>(Clock::now() - t_edit).count();
    // The first step pays one-off costs (allocator, thread pool warm-up).
    std::vector<double> steady(step_s.size() > 1 ? step_s.begin() + 1 : step_s.begin(),
                               step_s.end());
    const double mean =
        steady.empty() ? 0.0 : std::accumulate(steady.begin(), steady.end(), 0.0) / steady.size();
    const std::size_t candidates = result.candidates.size();
    nlohmann::json out = {
        {"impl", "C++"},
        {"config", config_name},
        {"threads", at::get_num_threads()},
        {"torch", std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) +
                      "." + std::to_string(TORCH_VERSION_PATCH)},
        {"image_size", size},
        {"batch_size", p.batch_size},
        {"aug_num", p.aug_num},
        {"steps", step_s.size()},
        {"candidates", candidates},
        {"make_weights_s", make_s},
        {"load_s", load_s},
        {"step_s", median(steady)},
        {"step_mean_s", mean},
        {"candidate_s", candidates ? edit_s / static_cast<double>(candidates) : 0.0},
        {"edit_s", edit_s},
        {"peak_rss_mib", peak_rss_mib()}};
    std::printf("%s\n", out.dump().c_str());
    engine.reset();
    if (own_work) fs::remove_all(work);
    return 0;
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "bench_edit_speed: %s\n", ex.what());
    return 1;
  }
}
