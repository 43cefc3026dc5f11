#include "blended_fixture.h"

#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "editing/noise.h"
#include "io/state_dict.h"
#include "nn/clip_state.h"
#include "nn/layers.h"
#include "pack/network_config_json.h"
#include "test_support.h"

namespace bd::test {

namespace {

// "sd.* of unet_dev.pt": the weights live in a sibling reference file.
std::vector<io::NamedTensor> weights_named_in(const std::string& path, const std::string& description) {
  const std::string file = description.substr(description.find(" of ") + 4);
  const auto dir = std::filesystem::path(path).parent_path();
  return nn::strip_prefix(io::read_tensor_file((dir / file).string()).tensors, "sd.");
}

}  // namespace

BlendedFixture load_blended_fixture(const std::string& path, const torch::Device& device) {
  BlendedFixture f{path, read_sidecar(path), io::read_tensor_file(path), device};
  f.unet = nn::UNet(
      nn::unet_config_from_args(pack::create_model_args_from_json(f.meta.at("unet_config"))));
  io::load_state_dict(*f.unet, weights_named_in(path, f.meta.at("weights").at("unet")), "unet weights");
  nn::freeze(*f.unet);
  f.unet->to(device);
  f.clip = nn::Clip(pack::clip_config_from_json(f.meta.at("clip_config")));
  nn::load_clip_state(f.clip, weights_named_in(path, f.meta.at("weights").at("clip")), "clip weights");
  nn::freeze(*f.clip);
  f.clip->to(device);
  f.diffusion = std::make_unique<diffusion::GaussianDiffusion>(diffusion::GaussianDiffusion::create(
      pack::diffusion_config_from_json(f.meta.at("model_and_diffusion_config"))));
  for (std::size_t i = 0;; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "noise.%03zu", i);
    const torch::Tensor* t = f.file.find(key);
    if (!t) break;
    f.noise.push_back(t->to(torch::kFloat32));
  }
  return f;
}

BlendedRun make_reference_sampler(BlendedFixture& f, const std::string& v) {
  const auto& a = f.meta.at("variants").at(v).at("args");
  BlendedRun run;
  editing::AugmentSettings aug;
  aug.clip_size = f.clip->config().image_resolution;
  aug.views = a.at("aug_num");
  aug.random = false;
  run.augmenter = std::make_unique<editing::ClipAugmenter>(aug, std::vector<std::uint64_t>{0});
  editing::SamplerSettings s;
  s.ddim = a.at("ddim");
  s.skip_timesteps = a.at("skip_timesteps");
  s.blend_background = !a.at("local_clip_guided_diffusion").get<bool>();
  s.clip_lambda = a.at("clip_guidance_lambda");
  s.range_lambda = a.at("range_lambda");
  s.shared_background_noise = true;
  s.reference_unscale = true;
  std::optional<nn::Clip> clip;
  if (!a.at("prompt").get<std::string>().empty()) clip = f.clip;
  torch::Tensor text_embed;
  {
    torch::NoGradGuard no_grad;
    text_embed = f.clip->encode_text(f.at(v + ".tokens")).to(torch::kFloat32);
  }
  run.sampler = std::make_unique<editing::BlendedSampler>(f.unet, *f.diffusion, clip, text_embed,
                                                          run.augmenter.get(), s);
  return run;
}

Trajectory run_free(BlendedFixture& f, const std::string& v) {
  BlendedRun run = make_reference_sampler(f, v);
  const torch::Tensor init = f.at("init_image");
  const torch::Tensor mask = f.at("mask");
  const torch::Tensor ts = f.file.at(v + ".t");
  const int64_t batch = f.file.at(v + ".xs").size(1);
  if (run.sampler->steps() != ts.size(0))
    throw std::runtime_error(v + ": " + std::to_string(run.sampler->steps()) + " steps, the reference has " +
                             std::to_string(ts.size(0)));
  editing::ReplayNoise noise(f.noise);
  std::vector<torch::Tensor> xs = {run.sampler->start(init, batch, noise)};
  torch::Tensor pred_last;
  for (int64_t k = 0; k < ts.size(0); ++k) {
    const int64_t index = run.sampler->first_index() - k;
    if (index != ts[k].item<int64_t>())
      throw std::runtime_error(v + ": step " + std::to_string(k) + " has index " + std::to_string(index) +
                               ", the reference " + std::to_string(ts[k].item<int64_t>()));
    auto out = run.sampler->step(xs.back(), index, init, mask, noise);
    xs.push_back(out.sample);
    pred_last = out.pred_xstart;
  }
  return {torch::stack(xs).cpu(), pred_last.cpu()};
}

torch::Tensor final_uint8(const torch::Tensor& init, const torch::Tensor& mask, const torch::Tensor& pred) {
  auto image = (init * (1 - mask) + pred * mask).add(1).div(2).clamp(0, 1);
  return image.mul(255).to(torch::kUInt8).permute({0, 2, 3, 1}).contiguous();
}

}  // namespace bd::test
