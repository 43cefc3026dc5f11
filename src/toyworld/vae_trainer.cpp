#include "toyworld/vae_trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "toyworld/checkpoint.h"
#include "toyworld/scene.h"
#include "toyworld/unet_trainer.h"

namespace bd::toyworld {

namespace {

constexpr std::uint64_t kVaeStream = 11;    // scene stream of VAE training batches
constexpr std::uint64_t kScaleStream = 12;  // scenes the scaling factor is measured on

}  // namespace

VAETrainer::VAETrainer(const VAETrainConfig& config, std::uint64_t seed)
    : config_(config), seed_(seed) {
  torch::manual_seed(mix_seed(seed, 0x7ae));
  model_ = nn::AutoencoderKL(config.model);
  model_->train();
  optimizer_ = std::make_unique<torch::optim::AdamW>(
      model_->parameters(), torch::optim::AdamWOptions(config.lr).weight_decay(0.0));
}

VAEStepStats VAETrainer::step() {
  torch::AutoGradMode grad(true);  // whatever mode the caller runs in
  const auto x = scene_batch(seed_, kVaeStream, step_, config_.batch, config_.image_size);
  torch::manual_seed(mix_seed(seed_, 0x2000000 + static_cast<std::uint64_t>(step_)));
  const double warm =
      std::min(1.0, static_cast<double>(step_ + 1) / std::max<int64_t>(1, config_.warmup_steps));
  set_learning_rate(*optimizer_, config_.lr * warm);
  optimizer_->zero_grad();
  const nn::DiagonalGaussian q = model_->encode(x);
  const auto recon = model_->decode(q.sample(torch::randn_like(q.mean)));
  const auto l1 = (recon - x).abs().mean();
  const auto kl = 0.5 * (q.mean.pow(2) + q.logvar.exp() - 1.0 - q.logvar).mean();
  const auto loss = l1 + config_.kl_weight * kl;
  loss.backward();
  optimizer_->step();
  ++step_;
  return {loss.item<double>(), l1.item<double>(), kl.item<double>()};
}

std::vector<io::NamedTensor> VAETrainer::state_tensors() {
  auto out = module_tensors(*model_, "vae.");
  auto adam = adamw_state_tensors(*optimizer_, *model_, "vae_adam.");
  out.insert(out.end(), adam.begin(), adam.end());
  return out;
}

void VAETrainer::load_state(const io::TensorFile& file, int64_t step) {
  load_module_tensors(*model_, file, "vae.");
  load_adamw_state(*optimizer_, *model_, file, "vae_adam.", step);
  step_ = step;
}

double reconstruction_psnr(nn::AutoencoderKL& vae, int image_size, int scenes) {
  torch::NoGradGuard no_grad;
  SceneOptions options;
  options.size = image_size;
  double mse_sum = 0;
  for (int i = 0; i < scenes; ++i) {
    // Seeds below kTrainingSeedBit: never drawn by training.
    const Scene s = generate_scene(0x5eed0000ull + static_cast<std::uint64_t>(i), options);
    const auto x = torch::from_blob(const_cast<std::uint8_t*>(s.image.data.data()),
                                    {1, image_size, image_size, 3}, torch::kUInt8)
                       .permute({0, 3, 1, 2})
                       .to(torch::kFloat32);
    const auto y = vae->decode(vae->encode(x / 127.5 - 1.0).mean);
    const auto pixels = ((y.clamp(-1, 1) + 1.0) * 127.5).round();
    mse_sum += (pixels - x).pow(2).mean().item<double>();
  }
  const double mse = std::max(mse_sum / scenes, 1e-10);
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

double latent_scaling_factor(nn::AutoencoderKL& vae, std::uint64_t seed, int image_size,
                             int scenes) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(mix_seed(seed, 0x5ca1e));
  std::vector<torch::Tensor> latents;
  for (int start = 0; start < scenes; start += 32) {
    const int64_t n = std::min(32, scenes - start);
    const auto q = vae->encode(scene_batch(seed, kScaleStream, start, n, image_size));
    latents.push_back(q.sample(torch::randn_like(q.mean)));
  }
  return 1.0 / torch::cat(latents).std().item<double>();
}

}  // namespace bd::toyworld
