#include "editing/blended_sampler.h"

#include <torch/torch.h>

#include "bd/error.h"
#include "diffusion/respace.h"
#include "editing/blend.h"
#include "editing/guidance.h"

namespace bd::editing {

BlendedSampler::BlendedSampler(nn::UNet unet, const diffusion::GaussianDiffusion& diffusion,
                               std::optional<nn::Clip> clip, torch::Tensor text_embed,
                               ClipAugmenter* augmenter, SamplerSettings settings)
    : unet_(std::move(unet)),
      diffusion_(diffusion),
      clip_(std::move(clip)),
      text_embed_(std::move(text_embed)),
      augmenter_(augmenter),
      settings_(settings) {
  if (settings_.skip_timesteps < 0 || settings_.skip_timesteps >= diffusion_.num_timesteps())
    throw Error(ErrorKind::InvalidInput,
                "skip_timesteps must be in [0, " + std::to_string(diffusion_.num_timesteps() - 1) +
                    "] for " + std::to_string(diffusion_.num_timesteps()) + " respaced steps, got " +
                    std::to_string(settings_.skip_timesteps));
}

int64_t BlendedSampler::first_index() const {
  return diffusion_.num_timesteps() - 1 - settings_.skip_timesteps;
}

bool BlendedSampler::lpips_term() const { return settings_.lpips && settings_.lpips_lambda != 0.0; }

bool BlendedSampler::guided() const {
  const bool clip_term = clip_.has_value() && settings_.clip_lambda != 0.0;
  return clip_term || settings_.range_lambda != 0.0 || settings_.l2_lambda != 0.0 || lpips_term();
}

torch::Tensor BlendedSampler::start(const torch::Tensor& init, int64_t batch, NoiseSource& noise) const {
  auto x0 = init.repeat({batch, 1, 1, 1});
  auto t = torch::full({batch}, first_index(), torch::TensorOptions().dtype(torch::kInt64));
  return diffusion_.q_sample(x0, t, noise.randn(x0.sizes(), x0.device()));
}

torch::Tensor BlendedSampler::guidance_gradient(const torch::Tensor& x, const torch::Tensor& model_out,
                                                const torch::Tensor& t, const torch::Tensor& init,
                                                const torch::Tensor& mask, StepOutput* stats) {
  // x requires grad and model_out was computed from it with autograd on.
  auto mv = diffusion_.p_mean_variance(model_out, x, t);
  const int64_t index = t[0].item<int64_t>();
  // x_in mixes x̂₀ and x_t (not in the paper; the author calls it an experiment).
  const double fac = diffusion_.tables().sqrt_one_minus_alphas_cumprod[index];
  auto x_in = mv.pred_xstart * fac + x * (1 - fac);
  torch::Tensor loss = torch::zeros({}, x.options());
  if (clip_ && settings_.clip_lambda != 0.0) {
    auto clip_result = clip_guidance_loss(*clip_, text_embed_, x_in, mask, *augmenter_);
    loss = loss + clip_result.loss * settings_.clip_lambda;
    stats->clip_loss = clip_result.loss.detach();
    stats->clip_distances = clip_result.distances;
  }
  if (settings_.range_lambda != 0.0) {
    auto r = range_loss(mv.pred_xstart);
    loss = loss + r * settings_.range_lambda;
    stats->range_loss = r.detach();
  }
  if (settings_.l2_lambda != 0.0 || lpips_term()) {
    nn::Lpips* lpips = lpips_term() ? &settings_.lpips : nullptr;
    loss = loss + background_loss(x_in, init, mask, settings_.l2_lambda, lpips, settings_.lpips_lambda);
  }
  if (!loss.requires_grad()) return torch::zeros_like(x);
  return -torch::autograd::grad({loss}, {x})[0];
}

StepOutput BlendedSampler::step(const torch::Tensor& x, int64_t index, const torch::Tensor& init,
                                const torch::Tensor& mask, NoiseSource& noise) {
  const int64_t batch = x.size(0);
  auto t = torch::full({batch}, index, torch::TensorOptions().dtype(torch::kInt64));
  StepOutput out;
  torch::Tensor model_out, grad;
  if (guided()) {
    torch::AutoGradMode enable_grad(true);
    auto x_grad = x.detach().requires_grad_(true);
    model_out = unet_->forward(x_grad, diffusion_.model_timesteps(t).to(x.device()));
    torch::Tensor guide_out = model_out, guide_t = t;
    if (settings_.reference_unscale) {
      // The reference's cond_fn receives model_timesteps(t) and converts it back.
      auto unscaled = diffusion::unscale_timestep(diffusion_.model_timesteps(t), diffusion_.num_timesteps());
      if (unscaled[0].item<int64_t>() != index) {
        guide_t = unscaled.to(torch::kInt64);
        guide_out = unet_->forward(x_grad, diffusion_.model_timesteps(guide_t).to(x.device()));
      }
    }
    grad = guidance_gradient(x_grad, guide_out, guide_t, init, mask, &out).detach();
    model_out = model_out.detach();
  } else {
    torch::NoGradGuard no_grad;
    model_out = unet_->forward(x, diffusion_.model_timesteps(t).to(x.device()));
  }

  torch::NoGradGuard no_grad;
  diffusion::StepOptions options;
  if (grad.defined()) options.cond_fn = [&grad](const torch::Tensor&, const torch::Tensor&) { return grad; };
  // Draw order of the reference: the step's noise, then the background's.
  auto step_noise = noise.randn(x.sizes(), x.device());
  auto result = settings_.ddim ? diffusion_.ddim_sample(model_out, x, t, step_noise, options)
                               : diffusion_.p_sample(model_out, x, t, step_noise, options);
  out.pred_xstart = result.pred_xstart;
  out.sample = result.sample;
  if (settings_.blend_background) {
    // The original noised to level `index` while the sample is at index−1: the paper's
    // Algorithm 2 as published; kept for fidelity.
    const int64_t draws = settings_.shared_background_noise ? 1 : batch;
    auto bg_noise = noise.randn({draws, x.size(1), x.size(2), x.size(3)}, x.device());
    auto bg_t = torch::full({draws}, index, torch::TensorOptions().dtype(torch::kInt64));
    auto background = diffusion_.q_sample(init.expand({draws, -1, -1, -1}), bg_t, bg_noise);
    out.sample = blend(out.sample, background, mask);
  }
  return out;
}

}  // namespace bd::editing
