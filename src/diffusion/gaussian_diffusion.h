#pragma once
// Gaussian diffusion maths of guided_diffusion (GaussianDiffusion + SpacedDiffusion) for a
// network that predicts ε (or x₀) and, with LEARNED_RANGE, a variance interpolation v.
// The class never runs the network: callers pass its output [B, C or 2C, H, W] for
// (x, model_timesteps(t)), so the same code serves plain, guided and test use.
//
// Timesteps `t` are always *respaced* indices (int64 [B]) into this diffusion's tables.
// The network receives model_timesteps(t) (the original 0..T−1 scale, as float).
// Tables are float64 on the CPU; a lookup gathers in float64 and casts to float32, as
// the reference's _extract_into_tensor does, then moves to x's device.
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bd/network_config.h"
#include "diffusion/schedule.h"

namespace bd::diffusion {

enum class ModelMeanType { Epsilon, StartX };
enum class ModelVarType { LearnedRange, FixedSmall, FixedLarge };

using bd::DiffusionConfig;  // create_gaussian_diffusion's arguments

struct MeanVariance {
  torch::Tensor mean;          // posterior mean μ(x_t, x̂₀)   [B, C, H, W]
  torch::Tensor variance;      // σ²                          [B, C, H, W]
  torch::Tensor log_variance;  // log σ²                      [B, C, H, W]
  torch::Tensor pred_xstart;   // x̂₀                          [B, C, H, W]
};

struct SampleOutput {
  torch::Tensor sample;       // x_{t−1}
  torch::Tensor pred_xstart;  // DDPM: the unguided x̂₀; DDIM: the guided one (as the reference)
};

// Guidance: returns g = −∇ₓ loss for x at respaced index t ([B, C, H, W]).
using CondFn = std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& t)>;

struct StepOptions {
  bool clip_denoised = false;  // clamp x̂₀ to [−1, 1]
  CondFn cond_fn;              // empty: unguided
  double eta = 0.0;            // DDIM only
};

class GaussianDiffusion {
 public:
  // `timestep_map` maps each index of `betas` to the base timestep the network expects;
  // empty means the identity (no respacing).
  GaussianDiffusion(std::vector<double> betas, ModelMeanType mean_type, ModelVarType var_type,
                    bool rescale_timesteps, std::vector<int64_t> timestep_map = {},
                    int64_t original_num_steps = 0);

  // create_gaussian_diffusion + SpacedDiffusion. Throws bd::Error(InvalidInput).
  static GaussianDiffusion create(const DiffusionConfig& config);

  int64_t num_timesteps() const { return tables_.size(); }
  int64_t original_num_steps() const { return original_num_steps_; }
  const DiffusionTables& tables() const { return tables_; }
  const std::vector<int64_t>& timestep_map() const { return timestep_map_; }
  ModelVarType var_type() const { return var_type_; }

  // What the network (and, in the reference, cond_fn) receives for respaced t:
  // float32(timestep_map[t]) · float32(1000/T_orig) when rescaling, else the int64 step.
  torch::Tensor model_timesteps(const torch::Tensor& t) const;

  // table[t] as float32 [B, 1, …, 1] on `like`'s device, broadcastable against `like`.
  torch::Tensor extract(const std::vector<double>& table, const torch::Tensor& t,
                        const torch::Tensor& like) const;

  // x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·noise; an undefined noise is drawn with randn_like.
  torch::Tensor q_sample(const torch::Tensor& x_start, const torch::Tensor& t,
                         torch::Tensor noise = {}) const;

  MeanVariance p_mean_variance(const torch::Tensor& model_output, const torch::Tensor& x,
                               const torch::Tensor& t, bool clip_denoised = false) const;

  // μ' = μ + σ²·g (DDPM guidance).
  torch::Tensor condition_mean(const MeanVariance& out, const torch::Tensor& grad) const;
  // ε' = ε(x, x̂₀) − √(1−ᾱ_t)·g, then x̂₀ and μ re-derived from ε' (DDIM guidance).
  MeanVariance condition_score(const MeanVariance& out, const torch::Tensor& x,
                               const torch::Tensor& t, const torch::Tensor& grad) const;

  // One ancestral step. `noise` undefined: drawn with randn_like(x) after the network
  // output and before cond_fn, the reference's RNG order.
  SampleOutput p_sample(const torch::Tensor& model_output, const torch::Tensor& x,
                        const torch::Tensor& t, torch::Tensor noise = {},
                        const StepOptions& options = {}) const;
  // One DDIM step with options.eta. `noise` undefined: drawn after cond_fn (the
  // reference's order here), and drawn even for η = 0 so RNG streams stay aligned.
  SampleOutput ddim_sample(const torch::Tensor& model_output, const torch::Tensor& x,
                           const torch::Tensor& t, torch::Tensor noise = {},
                           const StepOptions& options = {}) const;

  torch::Tensor predict_xstart_from_eps(const torch::Tensor& x, const torch::Tensor& t,
                                        const torch::Tensor& eps) const;
  torch::Tensor predict_eps_from_xstart(const torch::Tensor& x, const torch::Tensor& t,
                                        const torch::Tensor& pred_xstart) const;
  torch::Tensor q_posterior_mean(const torch::Tensor& x_start, const torch::Tensor& x,
                                 const torch::Tensor& t) const;

 private:
  void check_step_inputs(const torch::Tensor& x, const torch::Tensor& t) const;

  ModelMeanType mean_type_;
  ModelVarType var_type_;
  bool rescale_timesteps_;
  DiffusionTables tables_;
  std::vector<int64_t> timestep_map_;
  int64_t original_num_steps_;
  std::vector<double> fixed_large_variance_;  // [posterior_variance[1], β[1:]]
  std::vector<double> fixed_large_log_variance_;
};

}  // namespace bd::diffusion
