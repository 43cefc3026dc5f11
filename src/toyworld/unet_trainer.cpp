#include "toyworld/unet_trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstring>

#include "toyworld/checkpoint.h"
#include "toyworld/diffusion_loss.h"
#include "toyworld/scene.h"

namespace bd::toyworld {

torch::Tensor scene_batch(std::uint64_t run_seed, std::uint64_t stream, int64_t step, int64_t batch,
                          int size) {
  SceneOptions options;
  options.size = size;
  auto out = torch::empty({batch, size, size, 3}, torch::kUInt8);
  for (int64_t i = 0; i < batch; ++i) {
    const Scene s = generate_scene(
        training_seed(run_seed, stream, static_cast<std::uint64_t>(step), i), options);
    std::memcpy(out[i].data_ptr<std::uint8_t>(), s.image.data.data(), s.image.data.size());
  }
  return out.permute({0, 3, 1, 2}).to(torch::kFloat32).div(127.5).sub(1.0).contiguous();
}

UNetTrainer::UNetTrainer(const UNetTrainConfig& config, std::uint64_t seed)
    : config_(config),
      seed_(seed),
      diffusion_(diffusion::GaussianDiffusion::create(config.diffusion)) {
  const nn::UNetConfig net = nn::unet_config_from_args(config.model);
  torch::manual_seed(static_cast<std::uint64_t>(mix_seed(seed, 0x0e7)));
  model_ = nn::UNet(net);
  ema_ = nn::UNet(net);
  {
    torch::NoGradGuard no_grad;
    // guided_diffusion zero_module: each residual branch (ResBlock out_layers.3, attention
    // proj_out) and the output conv (out.2) start at zero, so the net starts as identity paths.
    for (auto& p : model_->named_parameters()) {
      const std::string& n = p.key();
      if (n.rfind("out.2.", 0) == 0 || n.find("out_layers.3.") != std::string::npos ||
          n.find("proj_out.") != std::string::npos)
        p.value().zero_();
    }
  }
  optimizer_ = start_ema_training(*model_, *ema_, config.lr);
}

UNetStepStats UNetTrainer::step() {
  const int size = static_cast<int>(config_.model.image_size);
  const auto x = scene_batch(seed_, /*stream=*/1, step_, config_.batch, size);
  torch::manual_seed(mix_seed(seed_, 0x1000000 + static_cast<std::uint64_t>(step_)));
  const auto t = torch::randint(0, diffusion_.num_timesteps(), {config_.batch}, torch::kInt64);
  const auto noise = torch::randn_like(x);

  const double warm =
      std::min(1.0, static_cast<double>(step_ + 1) / std::max<int64_t>(1, config_.warmup_steps));
  set_learning_rate(*optimizer_, config_.lr * warm);
  optimizer_->zero_grad();
  const HybridLoss l = hybrid_loss(model_, diffusion_, x, t, noise);
  l.loss.backward();
  optimizer_->step();
  ++step_;

  ema_update(*model_, *ema_, warm_ema_rate(config_.ema_rate, step_));
  return {l.loss.item<double>(), l.mse.mean().item<double>(), l.vb.mean().item<double>()};
}

std::vector<io::NamedTensor> UNetTrainer::state_tensors() {
  return ema_training_tensors(*model_, *ema_, *optimizer_, "unet");
}

void UNetTrainer::load_state(const io::TensorFile& file, int64_t step) {
  load_ema_training_state(*model_, *ema_, *optimizer_, file, "unet", step);
  step_ = step;
}

}  // namespace bd::toyworld
