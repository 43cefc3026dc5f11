#include "toyworld/latent_unet_trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <random>

#include "diffusion/ddim_scheduler.h"
#include "text/token_tensor.h"
#include "toyworld/checkpoint.h"

namespace bd::toyworld {

namespace {

constexpr std::uint64_t kLatentStream = 21;  // scene stream of the UNet's batches

}  // namespace

std::string latent_training_caption(const Scene& scene, const LatentUNetTrainConfig& config,
                                    const std::array<double, 3>& u) {
  if (u[0] < config.empty_caption_share) return "";
  if (u[0] < config.empty_caption_share + config.object_caption_share && !scene.objects.empty()) {
    const auto index =
        std::min(scene.objects.size() - 1, static_cast<std::size_t>(u[1] * scene.objects.size()));
    const SceneObject& o = scene.objects[index];
    const bool size_word = u[2] < config.size_word_share;
    return object_phrase(o.colour, o.shape, size_word ? std::optional<Size>(o.size) : std::nullopt);
  }
  return scene.caption;
}

LatentUNetTrainer::LatentUNetTrainer(const LatentUNetTrainConfig& config, nn::AutoencoderKL vae,
                                     nn::CLIPTextModel text_encoder, text::ClipTokenizer tokenizer,
                                     std::uint64_t seed)
    : config_(config),
      vae_(std::move(vae)),
      text_encoder_(std::move(text_encoder)),
      tokenizer_(std::move(tokenizer)),
      seed_(seed) {
  alphas_cumprod_ = diffusion::DdimScheduler(diffusion::LatentScheduleConfig{}, 1).alphas_cumprod();
  vae_->eval();
  text_encoder_->eval();
  for (auto& p : vae_->parameters()) p.set_requires_grad(false);
  for (auto& p : text_encoder_->parameters()) p.set_requires_grad(false);
  encode_pool();
  torch::manual_seed(mix_seed(seed, 0x1a7e));
  model_ = nn::UNet2DConditionModel(config.model);
  ema_ = nn::UNet2DConditionModel(config.model);
  optimizer_ = start_ema_training(*model_, *ema_, config.lr);
}

LatentUNetStepStats LatentUNetTrainer::step() {
  torch::AutoGradMode grad(true);  // whatever mode the caller runs in
  const int64_t b = config_.batch;
  std::mt19937_64 rng(mix_seed(seed_, 0x3000000 + static_cast<std::uint64_t>(step_)));
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<int64_t> picks;
  std::vector<std::string> captions;
  for (int64_t i = 0; i < b; ++i) {
    const auto index = static_cast<int64_t>(rng() % pool_scenes_.size());
    picks.push_back(index);
    captions.push_back(latent_training_caption(pool_scenes_[static_cast<std::size_t>(index)],
                                               config_,
                                               {uniform(rng), uniform(rng), uniform(rng)}));
  }
  const auto rows = torch::tensor(picks, torch::kInt64);

  torch::manual_seed(mix_seed(seed_, 0x4000000 + static_cast<std::uint64_t>(step_)));
  torch::Tensor latents, context;
  {
    torch::NoGradGuard no_grad;
    const auto mean = pool_mean_.index_select(0, rows);
    latents =
        (mean + pool_std_.index_select(0, rows) * torch::randn_like(mean)) * config_.scaling_factor;
    context =
        text_encoder_->forward(text::tokenize_tensor(tokenizer_, captions, config_.context_length))
            .last_hidden_state;
  }
  const auto t = torch::randint(0, alphas_cumprod_.size(0), {b}, torch::kInt64);
  const auto noise = torch::randn_like(latents);
  const auto ab = alphas_cumprod_.index({t}).view({b, 1, 1, 1});
  const auto noisy = ab.sqrt() * latents + (1.0 - ab).sqrt() * noise;

  const double warm =
      std::min(1.0, static_cast<double>(step_ + 1) / std::max<int64_t>(1, config_.warmup_steps));
  set_learning_rate(*optimizer_, config_.lr * warm);
  optimizer_->zero_grad();
  const auto loss = (model_->forward(noisy, t, context) - noise).pow(2).mean();
  loss.backward();
  optimizer_->step();
  ++step_;

  ema_update(*model_, *ema_, warm_ema_rate(config_.ema_rate, step_));
  return {loss.item<double>()};
}

void LatentUNetTrainer::encode_pool() {
  torch::NoGradGuard no_grad;
  SceneOptions options;
  options.size = config_.image_size;
  const int64_t n = std::max<int64_t>(1, config_.pool_scenes);
  constexpr int64_t kChunk = 64;
  std::vector<torch::Tensor> means, stds;
  pool_scenes_.clear();
  pool_scenes_.reserve(static_cast<std::size_t>(n));
  for (int64_t start = 0; start < n; start += kChunk) {
    const int64_t count = std::min(kChunk, n - start);
    auto pixels = torch::empty({count, options.size, options.size, 3}, torch::kUInt8);
    for (int64_t i = 0; i < count; ++i) {
      Scene s = generate_scene(
          training_seed(seed_, kLatentStream, 0, static_cast<std::uint64_t>(start + i)), options);
      std::memcpy(pixels[i].data_ptr<std::uint8_t>(), s.image.data.data(), s.image.data.size());
      s.image = Image{};
      pool_scenes_.push_back(std::move(s));
    }
    const nn::DiagonalGaussian q =
        vae_->encode(pixels.permute({0, 3, 1, 2}).to(torch::kFloat32).div(127.5).sub(1.0));
    means.push_back(q.mean);
    stds.push_back(q.std);
  }
  pool_mean_ = torch::cat(means);
  pool_std_ = torch::cat(stds);
}

std::vector<io::NamedTensor> LatentUNetTrainer::state_tensors() {
  return ema_training_tensors(*model_, *ema_, *optimizer_, "latent_unet");
}

void LatentUNetTrainer::load_state(const io::TensorFile& file, int64_t step) {
  load_ema_training_state(*model_, *ema_, *optimizer_, file, "latent_unet", step);
  step_ = step;
}

}  // namespace bd::toyworld
