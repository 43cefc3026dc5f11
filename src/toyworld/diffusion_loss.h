#pragma once
// guided-diffusion's training loss for ε-prediction with learned-range variance
// (GaussianDiffusion.training_losses, LossType.RESCALED_MSE's sibling MSE with
// rescale_learned_sigmas=False): loss = MSE(ε̂, ε) + L_vb, where L_vb is the variational
// bound term in bits per dimension computed with the mean stopped (ε̂ detached), so it
// trains only the variance.
#include <torch/types.h>

#include "diffusion/gaussian_diffusion.h"
#include "nn/unet.h"

namespace bd::toyworld {

struct HybridLoss {
  torch::Tensor loss;  // scalar, mean over the batch
  torch::Tensor mse;   // [B], detached
  torch::Tensor vb;    // [B], detached
};

// x_start: [B, 3, S, S] in [-1, 1]; t: int64 [B] indices into `diffusion` (unrespaced);
// noise: like x_start.
HybridLoss hybrid_loss(nn::UNet& unet, const diffusion::GaussianDiffusion& diffusion,
                       const torch::Tensor& x_start, const torch::Tensor& t,
                       const torch::Tensor& noise);

// KL(N(μ₁, e^{lv₁}) ‖ N(μ₂, e^{lv₂})) elementwise, in nats.
torch::Tensor normal_kl(const torch::Tensor& mean1, const torch::Tensor& logvar1,
                        const torch::Tensor& mean2, const torch::Tensor& logvar2);

// log-likelihood of 8-bit images x ∈ [-1, 1] under a Gaussian discretised to bins of
// width 2/255 (edge bins open), elementwise, in nats.
torch::Tensor discretized_gaussian_log_likelihood(const torch::Tensor& x,
                                                  const torch::Tensor& means,
                                                  const torch::Tensor& log_scales);

}  // namespace bd::toyworld
