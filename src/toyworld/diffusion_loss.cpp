#include "toyworld/diffusion_loss.h"

#include <torch/torch.h>

#include <cmath>

namespace bd::toyworld {

namespace {

// Tanh approximation of the standard normal CDF (guided_diffusion losses.py).
torch::Tensor approx_standard_normal_cdf(const torch::Tensor& x) {
  return 0.5 * (1.0 + torch::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x.pow(3))));
}

torch::Tensor mean_flat(const torch::Tensor& x) { return x.flatten(1).mean(1); }

}  // namespace

torch::Tensor normal_kl(const torch::Tensor& mean1, const torch::Tensor& logvar1,
                        const torch::Tensor& mean2, const torch::Tensor& logvar2) {
  return 0.5 * (-1.0 + logvar2 - logvar1 + torch::exp(logvar1 - logvar2) +
                (mean1 - mean2).pow(2) * torch::exp(-logvar2));
}

torch::Tensor discretized_gaussian_log_likelihood(const torch::Tensor& x,
                                                  const torch::Tensor& means,
                                                  const torch::Tensor& log_scales) {
  const auto centered = x - means;
  const auto inv_stdv = torch::exp(-log_scales);
  const auto cdf_plus = approx_standard_normal_cdf(inv_stdv * (centered + 1.0 / 255.0));
  const auto cdf_min = approx_standard_normal_cdf(inv_stdv * (centered - 1.0 / 255.0));
  const auto log_cdf_plus = torch::log(cdf_plus.clamp_min(1e-12));
  const auto log_one_minus_cdf_min = torch::log((1.0 - cdf_min).clamp_min(1e-12));
  const auto log_cdf_delta = torch::log((cdf_plus - cdf_min).clamp_min(1e-12));
  return torch::where(x < -0.999, log_cdf_plus,
                      torch::where(x > 0.999, log_one_minus_cdf_min, log_cdf_delta));
}

HybridLoss hybrid_loss(nn::UNet& unet, const diffusion::GaussianDiffusion& diffusion,
                       const torch::Tensor& x_start, const torch::Tensor& t,
                       const torch::Tensor& noise) {
  const int64_t c = x_start.size(1);
  const auto x_t = diffusion.q_sample(x_start, t, noise);
  const auto out = unet->forward(x_t, diffusion.model_timesteps(t));  // [B, 2C, S, S]
  const auto eps = out.narrow(1, 0, c);
  const auto var_values = out.narrow(1, c, c);

  const auto mse = mean_flat((noise - eps).pow(2));  // [B]

  // Variational bound with the mean frozen: only the variance output gets this gradient.
  const auto frozen = torch::cat({eps.detach(), var_values}, 1);
  const auto p = diffusion.p_mean_variance(frozen, x_t, t, /*clip_denoised=*/false);
  const auto true_mean = diffusion.q_posterior_mean(x_start, x_t, t);
  const auto true_log_var =
      diffusion.extract(diffusion.tables().posterior_log_variance_clipped, t, x_start);
  const auto kl =
      mean_flat(normal_kl(true_mean, true_log_var, p.mean, p.log_variance)) / std::log(2.0);
  const auto nll =
      -mean_flat(discretized_gaussian_log_likelihood(x_start, p.mean, 0.5 * p.log_variance)) /
      std::log(2.0);
  const auto vb = torch::where(t == 0, nll, kl);  // [B]

  HybridLoss r;
  r.loss = (mse + vb).mean();
  r.mse = mse.detach();
  r.vb = vb.detach();
  return r;
}

}  // namespace bd::toyworld
