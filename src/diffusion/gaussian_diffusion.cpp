#include "diffusion/gaussian_diffusion.h"

#include <torch/torch.h>

#include <cmath>
#include <sstream>

#include "bd/error.h"
#include "diffusion/respace.h"

namespace bd::diffusion {

namespace {

std::string shape_string(const torch::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

// A read-only float64 view of a table; index_select copies, so nothing writes through it.
torch::Tensor table_view(const std::vector<double>& table) {
  return torch::from_blob(const_cast<double*>(table.data()), {static_cast<int64_t>(table.size())},
                          torch::TensorOptions().dtype(torch::kFloat64));
}

// 1 where t ≠ 0, as float32 [B, 1, …, 1]: the last step (t = 0) adds no noise.
torch::Tensor nonzero_mask(const torch::Tensor& t, const torch::Tensor& like) {
  std::vector<int64_t> shape(like.dim(), 1);
  shape[0] = -1;
  return (t != 0).to(like.device(), torch::kFloat32).view(shape);
}

}  // namespace

GaussianDiffusion::GaussianDiffusion(std::vector<double> betas, ModelMeanType mean_type,
                                     ModelVarType var_type, bool rescale_timesteps,
                                     std::vector<int64_t> timestep_map, int64_t original_num_steps)
    : mean_type_(mean_type),
      var_type_(var_type),
      rescale_timesteps_(rescale_timesteps),
      tables_(make_tables(std::move(betas))),
      timestep_map_(std::move(timestep_map)),
      original_num_steps_(original_num_steps) {
  const int64_t n = tables_.size();
  if (timestep_map_.empty()) {
    for (int64_t i = 0; i < n; ++i) timestep_map_.push_back(i);
  }
  if (static_cast<int64_t>(timestep_map_.size()) != n) {
    throw Error(ErrorKind::InvalidInput, "timestep map has " +
                                             std::to_string(timestep_map_.size()) +
                                             " entries for " + std::to_string(n) + " betas");
  }
  if (original_num_steps_ <= 0) original_num_steps_ = n;
  fixed_large_variance_ = tables_.betas;
  fixed_large_variance_[0] = tables_.posterior_variance[1];
  fixed_large_log_variance_ = tables_.log_betas;
  fixed_large_log_variance_[0] = std::log(tables_.posterior_variance[1]);
}

GaussianDiffusion GaussianDiffusion::create(const DiffusionConfig& config) {
  const std::vector<double> base = named_beta_schedule(config.noise_schedule, config.steps);
  // create_gaussian_diffusion treats an empty respacing as [steps]: every step is kept,
  // but β is still rebuilt through the respacing (not bit-identical to the base β).
  const std::string respacing =
      config.timestep_respacing.empty() ? std::to_string(config.steps) : config.timestep_respacing;
  RespacedBetas spaced = respace_betas(base, space_timesteps(config.steps, respacing));
  const ModelVarType var_type = config.learn_sigma   ? ModelVarType::LearnedRange
                                : config.sigma_small ? ModelVarType::FixedSmall
                                                     : ModelVarType::FixedLarge;
  try {
    return GaussianDiffusion(std::move(spaced.betas),
                             config.predict_xstart ? ModelMeanType::StartX : ModelMeanType::Epsilon,
                             var_type, config.rescale_timesteps, std::move(spaced.timestep_map),
                             config.steps);
  } catch (const Error& e) {
    throw e.with_context("timestep respacing '" + respacing + "'");
  }
}

torch::Tensor GaussianDiffusion::model_timesteps(const torch::Tensor& t) const {
  const torch::Tensor map = torch::tensor(timestep_map_, torch::kInt64);
  torch::Tensor mapped = map.index_select(0, t.to(torch::kCPU, torch::kInt64).reshape({-1}));
  if (rescale_timesteps_) {
    // float32 product with a float32 factor, as torch evaluates `ts.float() * (1000.0 / T)`.
    mapped = mapped.to(torch::kFloat32) *
             static_cast<float>(1000.0 / static_cast<double>(original_num_steps_));
  }
  return mapped.view(t.sizes()).to(t.device());
}

torch::Tensor GaussianDiffusion::extract(const std::vector<double>& table, const torch::Tensor& t,
                                         const torch::Tensor& like) const {
  const torch::Tensor index = t.to(torch::kCPU, torch::kInt64).reshape({-1});
  const int64_t n = static_cast<int64_t>(table.size());
  if (index.numel() > 0 && (index.min().item<int64_t>() < 0 || index.max().item<int64_t>() >= n)) {
    throw Error(ErrorKind::InvalidInput, "timestep index outside [0, " + std::to_string(n) + ")");
  }
  // Gather and cast on the CPU: identical values to the reference's gather on the device,
  // and it works on backends without float64 (MPS).
  std::vector<int64_t> shape(like.dim(), 1);
  shape[0] = -1;
  return table_view(table).index_select(0, index).to(torch::kFloat32).to(like.device()).view(shape);
}

void GaussianDiffusion::check_step_inputs(const torch::Tensor& x, const torch::Tensor& t) const {
  if (x.dim() < 2 || t.dim() != 1 || t.size(0) != x.size(0)) {
    throw Error(ErrorKind::InvalidInput, "diffusion step needs x [B, C, ...] and t [B], got x " +
                                             shape_string(x) + " and t " + shape_string(t));
  }
}

torch::Tensor GaussianDiffusion::q_sample(const torch::Tensor& x_start, const torch::Tensor& t,
                                          torch::Tensor noise) const {
  if (!noise.defined()) noise = torch::randn_like(x_start);
  return extract(tables_.sqrt_alphas_cumprod, t, x_start) * x_start +
         extract(tables_.sqrt_one_minus_alphas_cumprod, t, x_start) * noise;
}

torch::Tensor GaussianDiffusion::predict_xstart_from_eps(const torch::Tensor& x,
                                                         const torch::Tensor& t,
                                                         const torch::Tensor& eps) const {
  return extract(tables_.sqrt_recip_alphas_cumprod, t, x) * x -
         extract(tables_.sqrt_recipm1_alphas_cumprod, t, x) * eps;
}

torch::Tensor GaussianDiffusion::predict_eps_from_xstart(const torch::Tensor& x,
                                                         const torch::Tensor& t,
                                                         const torch::Tensor& pred_xstart) const {
  return (extract(tables_.sqrt_recip_alphas_cumprod, t, x) * x - pred_xstart) /
         extract(tables_.sqrt_recipm1_alphas_cumprod, t, x);
}

torch::Tensor GaussianDiffusion::q_posterior_mean(const torch::Tensor& x_start,
                                                  const torch::Tensor& x,
                                                  const torch::Tensor& t) const {
  return extract(tables_.posterior_mean_coef1, t, x) * x_start +
         extract(tables_.posterior_mean_coef2, t, x) * x;
}

MeanVariance GaussianDiffusion::p_mean_variance(const torch::Tensor& model_output,
                                                const torch::Tensor& x, const torch::Tensor& t,
                                                bool clip_denoised) const {
  check_step_inputs(x, t);
  const int64_t channels = x.size(1);
  const bool learned = var_type_ == ModelVarType::LearnedRange;
  // Fixed variances also accept a 2C output and ignore the variance half (the reference
  // would need a C-channel network there).
  if (model_output.dim() != x.dim() || model_output.size(0) != x.size(0) ||
      model_output.sizes().slice(2) != x.sizes().slice(2) ||
      (model_output.size(1) != 2 * channels && (learned || model_output.size(1) != channels))) {
    throw Error(ErrorKind::InvalidInput, "model output " + shape_string(model_output) +
                                             " does not fit x " + shape_string(x) +
                                             (learned ? " (expected 2C channels: ε then v)" : ""));
  }
  const torch::Tensor prediction = model_output.narrow(1, 0, channels);  // ε̂ or x̂₀

  MeanVariance out;
  if (learned) {
    // v ∈ [−1, 1] interpolates log σ² between the posterior variance and β (unclamped).
    const torch::Tensor v = model_output.narrow(1, channels, channels);
    const torch::Tensor min_log = extract(tables_.posterior_log_variance_clipped, t, x);
    const torch::Tensor max_log = extract(tables_.log_betas, t, x);
    const torch::Tensor frac = (v + 1) / 2;
    out.log_variance = frac * max_log + (1 - frac) * min_log;
    out.variance = torch::exp(out.log_variance);
  } else {
    // FIXED_LARGE uses β (with t = 0 borrowing the posterior variance, for a finite log).
    const bool small = var_type_ == ModelVarType::FixedSmall;
    out.variance =
        extract(small ? tables_.posterior_variance : fixed_large_variance_, t, x).expand_as(x);
    out.log_variance =
        extract(small ? tables_.posterior_log_variance_clipped : fixed_large_log_variance_, t, x)
            .expand_as(x);
  }

  out.pred_xstart =
      mean_type_ == ModelMeanType::Epsilon ? predict_xstart_from_eps(x, t, prediction) : prediction;
  if (clip_denoised) out.pred_xstart = out.pred_xstart.clamp(-1, 1);
  out.mean = q_posterior_mean(out.pred_xstart, x, t);
  return out;
}

torch::Tensor GaussianDiffusion::condition_mean(const MeanVariance& out,
                                                const torch::Tensor& grad) const {
  return out.mean.to(torch::kFloat32) + out.variance * grad.to(torch::kFloat32);
}

MeanVariance GaussianDiffusion::condition_score(const MeanVariance& out, const torch::Tensor& x,
                                                const torch::Tensor& t,
                                                const torch::Tensor& grad) const {
  // √(1−ᾱ) is taken in float32 from the float32 ᾱ, not from the float64 table: the
  // reference does so, and the two differ in the last bit.
  const torch::Tensor alpha_bar = extract(tables_.alphas_cumprod, t, x);
  const torch::Tensor eps =
      predict_eps_from_xstart(x, t, out.pred_xstart) - (1 - alpha_bar).sqrt() * grad;
  MeanVariance guided = out;
  guided.pred_xstart = predict_xstart_from_eps(x, t, eps);
  guided.mean = q_posterior_mean(guided.pred_xstart, x, t);
  return guided;
}

SampleOutput GaussianDiffusion::p_sample(const torch::Tensor& model_output, const torch::Tensor& x,
                                         const torch::Tensor& t, torch::Tensor noise,
                                         const StepOptions& options) const {
  MeanVariance out = p_mean_variance(model_output, x, t, options.clip_denoised);
  if (!noise.defined()) noise = torch::randn_like(x);
  // The returned x̂₀ stays the unguided one; only the mean moves.
  if (options.cond_fn) out.mean = condition_mean(out, options.cond_fn(x, t));
  return {out.mean + nonzero_mask(t, x) * torch::exp(0.5 * out.log_variance) * noise,
          out.pred_xstart};
}

SampleOutput GaussianDiffusion::ddim_sample(const torch::Tensor& model_output,
                                            const torch::Tensor& x, const torch::Tensor& t,
                                            torch::Tensor noise, const StepOptions& options) const {
  MeanVariance out = p_mean_variance(model_output, x, t, options.clip_denoised);
  if (options.cond_fn) out = condition_score(out, x, t, options.cond_fn(x, t));
  // Unlike p_sample, the reference draws DDIM's noise after guidance.
  if (!noise.defined()) noise = torch::randn_like(x);
  const torch::Tensor eps = predict_eps_from_xstart(x, t, out.pred_xstart);
  const torch::Tensor alpha_bar = extract(tables_.alphas_cumprod, t, x);
  const torch::Tensor alpha_bar_prev = extract(tables_.alphas_cumprod_prev, t, x);
  const torch::Tensor sigma = options.eta * torch::sqrt((1 - alpha_bar_prev) / (1 - alpha_bar)) *
                              torch::sqrt(1 - alpha_bar / alpha_bar_prev);
  const torch::Tensor mean_pred = out.pred_xstart * torch::sqrt(alpha_bar_prev) +
                                  torch::sqrt(1 - alpha_bar_prev - sigma.pow(2)) * eps;
  return {mean_pred + nonzero_mask(t, x) * sigma * noise, out.pred_xstart};
}

}  // namespace bd::diffusion
