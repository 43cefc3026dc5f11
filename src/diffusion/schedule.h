#pragma once
// Noise schedules and the float64 tables derived from them (guided_diffusion
// gaussian_diffusion.py: get_named_beta_schedule and GaussianDiffusion.__init__).
// Everything here is plain double arithmetic in the order numpy performs it, so the
// tables match the reference to the last few ulps.
#include <cstdint>
#include <string>
#include <vector>

namespace bd::diffusion {

// β_t = linspace(1e-4·s, 0.02·s, T) with s = 1000/T (numpy.linspace, float64).
std::vector<double> linear_betas(int64_t num_timesteps);
// β_i = min(1 − ᾱ((i+1)/T) / ᾱ(i/T), 0.999), ᾱ(u) = cos²((u + 0.008)/1.008 · π/2).
std::vector<double> cosine_betas(int64_t num_timesteps);
// "linear" or "cosine"; throws bd::Error(InvalidInput) for anything else.
std::vector<double> named_beta_schedule(const std::string& name, int64_t num_timesteps);

// Every per-timestep table GaussianDiffusion keeps, indexed by the (respaced) step.
struct DiffusionTables {
  std::vector<double> betas;
  std::vector<double> log_betas;  // max_log of LEARNED_RANGE
  std::vector<double> alphas_cumprod;
  std::vector<double> alphas_cumprod_prev;  // [1, ᾱ_0 .. ᾱ_{T-2}]
  std::vector<double> alphas_cumprod_next;  // [ᾱ_1 .. ᾱ_{T-1}, 0]
  std::vector<double> sqrt_alphas_cumprod;
  std::vector<double> sqrt_one_minus_alphas_cumprod;
  std::vector<double> log_one_minus_alphas_cumprod;
  std::vector<double> sqrt_recip_alphas_cumprod;
  std::vector<double> sqrt_recipm1_alphas_cumprod;
  std::vector<double> posterior_variance;
  std::vector<double> posterior_log_variance_clipped;
  std::vector<double> posterior_mean_coef1;
  std::vector<double> posterior_mean_coef2;

  int64_t size() const { return static_cast<int64_t>(betas.size()); }
  // The table called `name` (the reference's attribute name), or nullptr.
  const std::vector<double>* find(const std::string& name) const;
};

// Builds all tables from β. Throws bd::Error(InvalidInput) unless 0 < β ≤ 1 and T ≥ 1.
DiffusionTables make_tables(std::vector<double> betas);

}  // namespace bd::diffusion
