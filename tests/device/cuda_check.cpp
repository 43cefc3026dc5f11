// The CUDA path, checked on a machine with a GPU and a CUDA LibTorch (the one PyTorch
// bundles): the networks and the blended loop against the reference vectors on the GPU
// (float32 with TF32 off, and the fp16 torso the engine uses there), the whole engine on
// the GPU against the same edit on the CPU, and the seconds an edit takes there with the
// ToyWorld pack and with randomly initialised networks of the published sizes.
//
//   cuda_check [--device cuda] [--pack models/toyworld] [--published] [--out report.json]
//
// Built by tests/device/CMakeLists.txt, run by tests/device/run_cuda_check.sh. No Qt: the
// GPU machine has LibTorch but none of Debian's Qt or codec libraries. Runs on the CPU too
// (--device cpu), which is how it is tried before a GPU is lent. Exit 1 when a check fails.
#include <ATen/Context.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bd/engine.h"
#include "bd/model_pack.h"
#include "bd/runtime.h"
#include "blended_fixture.h"
#include "io/safetensors.h"
#include "io/state_dict.h"
#include "io/tensor_file.h"
#include "nn/clip.h"
#include "nn/clip_state.h"
#include "nn/layers.h"
#include "nn/unet.h"
#include "pack/network_config_json.h"
#include "test_support.h"

using namespace bd;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string device = "cuda";
  std::string pack = "models/toyworld";
  bool published = false;
  std::string out;
};

// Every measured number, and for checks the limit it must stay under.
class Report {
 public:
  void check(const std::string& name, double value, double limit) {
    const bool ok = value <= limit;
    failures_ += ok ? 0 : 1;
    std::printf("%-58s %12.4g  (limit %.0e) %s\n", name.c_str(), value, limit, ok ? "ok" : "FAILED");
    json_["checks"].push_back({{"name", name}, {"value", value}, {"limit", limit}, {"ok", ok}});
    std::fflush(stdout);
  }
  void measure(const std::string& name, double value, const std::string& unit) {
    std::printf("%-58s %12.4g %s\n", name.c_str(), value, unit.c_str());
    json_["measurements"].push_back({{"name", name}, {"value", value}, {"unit", unit}});
    std::fflush(stdout);
  }
  void fail(const std::string& section, const std::string& what) {
    ++failures_;
    std::printf("%s: FAILED: %s\n", section.c_str(), what.c_str());
    json_["errors"].push_back({{"section", section}, {"error", what}});
  }
  void info(const std::string& key, const std::string& value) {
    std::printf("%s: %s\n", key.c_str(), value.c_str());
    json_["info"][key] = value;
  }
  int failures() const { return failures_; }
  void write(const std::string& path) const {
    if (!path.empty()) std::ofstream(path) << json_.dump(2) << "\n";
  }

 private:
  nlohmann::json json_;
  int failures_ = 0;
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string file_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// The fp16 torso keeps float32 norms and embeddings; its outputs come back float32.
constexpr double kFp16Limit = 5e-2;

void check_unet(Report& report, const torch::Device& device) {
  for (const auto& path : test::reference_files("unet_")) {
    const io::TensorFile file = io::read_tensor_file(path);
    const auto kwargs = test::read_sidecar(path).at("create_model_kwargs");
    nn::UNet unet(nn::unet_config_from_args(pack::create_model_args_from_json(kwargs)));
    io::load_state_dict(*unet, nn::strip_prefix(file.tensors, "sd."), path);
    nn::freeze(*unet);
    unet->to(device);
    torch::NoGradGuard no_grad;
    const auto x = file.at("x").to(device), t = file.at("t").to(device);
    report.check(file_name(path) + " UNet float32", test::relative_error(unet->forward(x, t).cpu(), file.at("out")),
                 1e-5);
    if (!device.is_cuda()) continue;  // CPU kernels have no fp16 convolutions
    unet->convert_to_fp16();
    report.check(file_name(path) + " UNet fp16 torso",
                 test::relative_error(unet->forward(x, t).cpu(), file.at("out")), kFp16Limit);
  }
}

void check_clip(Report& report, const torch::Device& device) {
  for (const auto& path : test::reference_files("clip_")) {
    const io::TensorFile file = io::read_tensor_file(path);
    nn::Clip clip(pack::clip_config_from_json(test::read_sidecar(path).at("clip_kwargs")));
    nn::load_clip_state(clip, nn::strip_prefix(file.tensors, "sd."), path);
    nn::freeze(*clip);
    clip->to(device);
    torch::NoGradGuard no_grad;
    const auto image = file.at("image").to(device), tokens = file.at("tokens").to(device);
    const auto compare = [&](const std::string& label, double limit) {
      report.check(file_name(path) + " CLIP image " + label,
                   test::relative_error(clip->encode_image(image).cpu().to(torch::kFloat32), file.at("encode_image")),
                   limit);
      report.check(file_name(path) + " CLIP text " + label,
                   test::relative_error(clip->encode_text(tokens).cpu().to(torch::kFloat32), file.at("encode_text")),
                   limit);
    };
    compare("float32", 1e-5);
    if (!device.is_cuda()) continue;
    clip->convert_to_fp16();
    compare("fp16", kFp16Limit);
  }
}

// The limits: 1e-5 unguided, 1e-3 guided and free-running.
void check_blended(Report& report, const torch::Device& device) {
  for (const auto& path : test::reference_files("blended_")) {
    test::BlendedFixture f = test::load_blended_fixture(path, device);
    for (auto& [v, spec] : f.meta.at("variants").items()) {
      const bool guided = !spec.at("args").at("prompt").get<std::string>().empty();
      const auto t0 = Clock::now();
      const test::Trajectory ours = test::run_free(f, v);
      report.measure(file_name(path) + " " + v + " seconds", seconds_since(t0), "s");
      report.check(file_name(path) + " " + v + " trajectory", test::relative_error(ours.xs, f.file.at(v + ".xs")),
                   guided ? 1e-3 : 1e-5);
      const auto u8 = test::final_uint8(f.file.at("init_image"), f.file.at("mask"), ours.pred_last);
      const auto diff = (u8.to(torch::kInt32) - f.file.at(v + ".final_image_u8").to(torch::kInt32)).abs();
      report.check(file_name(path) + " " + v + " final uint8 max |diff|", diff.max().item<double>(), 1);
    }
  }
}

// A 96x80 scene: a vertical gradient, a grey square to repaint, the mask around it.
EditRequest demo_request(const EditParams& defaults, int size_w, int size_h) {
  EditRequest r;
  r.image.width = size_w;
  r.image.height = size_h;
  r.image.channels = 3;
  r.image.data.resize(static_cast<std::size_t>(size_w) * size_h * 3);
  r.mask.width = size_w;
  r.mask.height = size_h;
  r.mask.channels = 1;
  r.mask.data.assign(static_cast<std::size_t>(size_w) * size_h, 0);
  for (int y = 0; y < size_h; ++y)
    for (int x = 0; x < size_w; ++x) {
      const bool inside = std::abs(x - size_w / 2) < size_w / 5 && std::abs(y - size_h / 2) < size_h / 5;
      std::uint8_t* p = &r.image.data[(static_cast<std::size_t>(y) * size_w + x) * 3];
      p[0] = inside ? 128 : static_cast<std::uint8_t>(40 + 150 * y / size_h);
      p[1] = inside ? 128 : static_cast<std::uint8_t>(90 + 60 * y / size_h);
      p[2] = inside ? 128 : static_cast<std::uint8_t>(200 - 100 * y / size_h);
      if (std::abs(x - size_w / 2) < size_w / 4 && std::abs(y - size_h / 2) < size_h / 4)
        r.mask.data[static_cast<std::size_t>(y) * size_w + x] = 255;
    }
  r.prompt = "a red circle";
  r.params = defaults;
  r.params.iterations = 1;
  r.params.batch_size = 4;
  r.params.preview_every = 0;
  return r;
}

// Largest |a - b| over pixels where the mask is 0 and no feathering reaches (the engine
// keeps those bit-identical), and the mean |a - b| over the whole image.
std::pair<int, double> compare_images(const Image& a, const Image& b, const Image& mask, int feather) {
  int outside = 0;
  double sum = 0;
  for (int y = 0; y < a.height; ++y)
    for (int x = 0; x < a.width; ++x) {
      bool near_mask = false;
      for (int dy = -feather - 1; dy <= feather + 1 && !near_mask; ++dy)
        for (int dx = -feather - 1; dx <= feather + 1 && !near_mask; ++dx) {
          const int yy = y + dy, xx = x + dx;
          near_mask = yy >= 0 && xx >= 0 && yy < a.height && xx < a.width &&
                      mask.data[static_cast<std::size_t>(yy) * a.width + xx] != 0;
        }
      for (int c = 0; c < a.channels; ++c) {
        const std::size_t i = (static_cast<std::size_t>(y) * a.width + x) * a.channels + c;
        const int d = std::abs(int(a.data[i]) - int(b.data[i]));
        sum += d;
        if (!near_mask) outside = std::max(outside, d);
      }
    }
  return {outside, sum / static_cast<double>(a.data.size())};
}

EditResult timed_edit(Report& report, Engine& engine, const EditRequest& request, const std::string& label) {
  const auto t0 = Clock::now();
  EditResult result = engine.edit(request);
  report.measure(label + " seconds per edit (" + std::to_string(request.params.batch_size) + " candidates)",
                 seconds_since(t0), "s");
  report.measure(label + " seconds per step", result.timings.per_step_s, "s");
  return result;
}

// The engine on the device against the engine on the CPU: same seeds, same noise (drawn on
// the CPU), so the candidates differ only by arithmetic (fp16 torso on CUDA).
void check_engine(Report& report, const Options& o) {
  const ModelPack pack = load_model_pack(o.pack);
  EngineOptions on_device;
  on_device.device = o.device;
  auto engine = Engine::load(pack, on_device);
  EditRequest request = demo_request(pack.defaults, 96, 80);
  timed_edit(report, *engine, request, pack.name + " warm-up");
  const EditResult gpu = timed_edit(report, *engine, request, pack.name + " pack defaults, " + o.device);

  EngineOptions on_cpu;
  on_cpu.device = "cpu";
  on_cpu.threads = -1;
  const EditResult cpu = Engine::load(pack, on_cpu)->edit(request);
  for (std::size_t i = 0; i < gpu.candidates.size(); ++i) {
    const Candidate& g = gpu.candidates[i];
    const Candidate* c = nullptr;
    for (const auto& k : cpu.candidates)
      if (k.seed == g.seed) c = &k;
    if (!c) {
      report.fail("engine", "no CPU candidate with seed " + std::to_string(g.seed));
      continue;
    }
    const auto [outside_vs_input, unused] = compare_images(g.image, request.image, request.mask, request.params.feather_px);
    const auto [outside_vs_cpu, mean_vs_cpu] = compare_images(g.image, c->image, request.mask, request.params.feather_px);
    const std::string label = "seed " + std::to_string(g.seed);
    report.check(label + ": max |diff| to the input outside the feather band", outside_vs_input, 0);
    report.check(label + ": max |diff| to the CPU outside the feather band", outside_vs_cpu, 0);
    report.measure(label + ": mean |diff| to the CPU candidate (all pixels)", mean_vs_cpu, "of 255");
    report.measure(label + ": CLIP score device / CPU", g.score / c->score, "ratio");
  }

  EditRequest published = request;
  published.params.timestep_respacing = "100";
  published.params.skip_timesteps = 25;
  timed_edit(report, *engine, published, pack.name + " published schedule 100/25, " + o.device);
}

// Randomly initialised networks of the published sizes (ADM 256 uncond, CLIP ViT-B/16)
// written as a pack, so the speed of a real-sized edit is measured without the weights.
std::string write_published_size_pack(const std::string& dir) {
  std::filesystem::create_directories(dir);
  nlohmann::json manifest = nlohmann::json::parse(std::ifstream("models/adm256-clip-vitb16/pack.json"));
  torch::manual_seed(0);
  nn::UNet unet(nn::unet_config_from_args(
      pack::create_model_args_from_json(manifest["unet"]["create_model"])));
  nn::Clip clip(pack::clip_config_from_json(manifest["clip"]["config"]));
  const auto named = [](torch::nn::Module& m) {
    std::vector<io::NamedTensor> out;
    for (const auto& p : m.named_parameters()) out.push_back({p.key(), p.value().detach().contiguous()});
    for (const auto& b : m.named_buffers()) out.push_back({b.key(), b.value().detach().contiguous()});
    return out;
  };
  io::write_safetensors(dir + "/unet.safetensors", named(*unet));
  io::write_safetensors(dir + "/clip.safetensors", named(*clip));
  std::filesystem::copy_file(test::clip_vocab_path(), dir + "/bpe_simple_vocab_16e6.txt.gz",
                             std::filesystem::copy_options::overwrite_existing);
  manifest["unet"] = {{"file", "unet.safetensors"}, {"create_model", manifest["unet"]["create_model"]}};
  manifest["clip"] = {{"file", "clip.safetensors"}, {"config", manifest["clip"]["config"]}};
  std::ofstream(dir + "/pack.json") << manifest.dump(1);
  return dir;
}

void measure_published_sizes(Report& report, const Options& o) {
  const std::string dir = (std::filesystem::temp_directory_path() / "blendiff-published-size-pack").string();
  auto t0 = Clock::now();
  const ModelPack pack = load_model_pack(write_published_size_pack(dir));
  report.measure("published sizes: writing the random pack", seconds_since(t0), "s");
  EngineOptions options;
  options.device = o.device;
  t0 = Clock::now();
  auto engine = Engine::load(pack, options);
  report.measure("published sizes: Engine::load", seconds_since(t0), "s");
  EditRequest request = demo_request(pack.defaults, 384, 320);
  request.params.batch_size = 1;
  request.params.timestep_respacing = "20";  // warm-up: kernels chosen, memory pooled
  request.params.skip_timesteps = 5;
  engine->edit(request);
  request.params.timestep_respacing = "100";
  request.params.skip_timesteps = 25;
  for (int batch : {1, 4}) {
    request.params.batch_size = batch;
    timed_edit(report, *engine, request, "published sizes 100/25 aug 8 batch " + std::to_string(batch));
  }
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--device") o.device = value();
    else if (a == "--pack") o.pack = value();
    else if (a == "--out") o.out = value();
    else if (a == "--published") o.published = true;
    else throw std::runtime_error("unknown option " + a);
  }
  return o;
}

template <typename F>
void section(Report& report, const std::string& name, F&& body) {
  std::printf("== %s\n", name.c_str());
  std::fflush(stdout);
  try {
    body();
  } catch (const std::exception& e) {
    report.fail(name, e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  restart_with_passive_openmp_wait(argv);  // spinning OpenMP workers starve a shared CPU
  Options o;
  try {
    o = parse(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "cuda_check: " << e.what() << "\n";
    return 2;
  }
  Report report;
  report.info("runtime", backend_summary());
  const torch::Device device(resolve_device(o.device));
  // Fidelity in float32 means float32: cuDNN's default TF32 convolutions keep 10 mantissa
  // bits. The engine's timings below run with the defaults again.
  at::globalContext().setAllowTF32CuDNN(false);
  at::globalContext().setAllowTF32CuBLAS(false);
  section(report, "UNet against unet_*.pt", [&] { check_unet(report, device); });
  section(report, "CLIP against clip_*.pt", [&] { check_clip(report, device); });
  section(report, "Blended loop against blended_*.pt", [&] { check_blended(report, device); });
  at::globalContext().setAllowTF32CuDNN(true);
  section(report, "Engine on " + o.device + " against the CPU", [&] { check_engine(report, o); });
  if (o.published) section(report, "Published sizes (random weights)", [&] { measure_published_sizes(report, o); });
  report.write(o.out);
  std::printf("cuda_check: %d failure(s)\n", report.failures());
  return report.failures() == 0 ? 0 : 1;
}
