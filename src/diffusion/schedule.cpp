#include "diffusion/schedule.h"

#include <algorithm>
#include <cmath>

#include "bd/error.h"

namespace bd::diffusion {

namespace {

// Applies f elementwise; the tables below are all one-line numpy expressions.
template <typename F>
std::vector<double> map_index(std::size_t n, F f) {
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = f(i);
  return out;
}

}  // namespace

std::vector<double> linear_betas(int64_t num_timesteps) {
  if (num_timesteps < 1) {
    throw Error(ErrorKind::InvalidInput,
                "linear beta schedule needs at least 1 step, got " + std::to_string(num_timesteps));
  }
  // Scaled so that any T matches the 1000-step schedule's shape (Nichol & Dhariwal).
  const double scale = 1000.0 / static_cast<double>(num_timesteps);
  const double start = scale * 0.0001;
  const double stop = scale * 0.02;
  if (num_timesteps == 1) return {start};
  // numpy.linspace computes i·step + start and then pins the last value to stop;
  // doing the same keeps every β bit-identical.
  const double step = (stop - start) / static_cast<double>(num_timesteps - 1);
  auto betas = map_index(num_timesteps,
                         [&](std::size_t i) { return static_cast<double>(i) * step + start; });
  betas.back() = stop;
  return betas;
}

std::vector<double> cosine_betas(int64_t num_timesteps) {
  if (num_timesteps < 1) {
    throw Error(ErrorKind::InvalidInput,
                "cosine beta schedule needs at least 1 step, got " + std::to_string(num_timesteps));
  }
  const double pi = std::acos(-1.0);
  const auto alpha_bar = [pi](double u) {
    const double c = std::cos((u + 0.008) / 1.008 * pi / 2);
    return c * c;
  };
  const double n = static_cast<double>(num_timesteps);
  return map_index(num_timesteps, [&](std::size_t i) {
    const double t1 = static_cast<double>(i) / n;
    const double t2 = static_cast<double>(i + 1) / n;
    // 0.999 caps the last steps, where ᾱ → 0 would make β → 1 (a singular step).
    return std::min(1 - alpha_bar(t2) / alpha_bar(t1), 0.999);
  });
}

std::vector<double> named_beta_schedule(const std::string& name, int64_t num_timesteps) {
  if (name == "linear") return linear_betas(num_timesteps);
  if (name == "cosine") return cosine_betas(num_timesteps);
  throw Error(ErrorKind::InvalidInput,
              "unknown noise schedule '" + name + "' (expected 'linear' or 'cosine')");
}

const std::vector<double>* DiffusionTables::find(const std::string& name) const {
  const std::pair<const char*, const std::vector<double>*> all[] = {
      {"betas", &betas},
      {"log_betas", &log_betas},
      {"alphas_cumprod", &alphas_cumprod},
      {"alphas_cumprod_prev", &alphas_cumprod_prev},
      {"alphas_cumprod_next", &alphas_cumprod_next},
      {"sqrt_alphas_cumprod", &sqrt_alphas_cumprod},
      {"sqrt_one_minus_alphas_cumprod", &sqrt_one_minus_alphas_cumprod},
      {"log_one_minus_alphas_cumprod", &log_one_minus_alphas_cumprod},
      {"sqrt_recip_alphas_cumprod", &sqrt_recip_alphas_cumprod},
      {"sqrt_recipm1_alphas_cumprod", &sqrt_recipm1_alphas_cumprod},
      {"posterior_variance", &posterior_variance},
      {"posterior_log_variance_clipped", &posterior_log_variance_clipped},
      {"posterior_mean_coef1", &posterior_mean_coef1},
      {"posterior_mean_coef2", &posterior_mean_coef2},
  };
  for (const auto& [key, table] : all) {
    if (name == key) return table;
  }
  return nullptr;
}

DiffusionTables make_tables(std::vector<double> betas) {
  const std::size_t n = betas.size();
  // posterior_log_variance_clipped reads posterior_variance[1], so one step is not enough.
  if (n < 2) {
    throw Error(ErrorKind::InvalidInput,
                "a diffusion needs at least 2 timesteps, got " + std::to_string(n));
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!(betas[i] > 0.0 && betas[i] <= 1.0)) {
      throw Error(ErrorKind::InvalidInput, "beta[" + std::to_string(i) + "] = " +
                                               std::to_string(betas[i]) + " is outside (0, 1]");
    }
  }
  DiffusionTables d;
  d.betas = std::move(betas);
  const auto& b = d.betas;
  d.log_betas = map_index(n, [&](std::size_t i) { return std::log(b[i]); });

  d.alphas_cumprod.resize(n);
  double acc = 1.0;
  for (std::size_t i = 0; i < n; ++i)
    d.alphas_cumprod[i] = acc *= (1.0 - b[i]);  // np.cumprod order
  const auto& ac = d.alphas_cumprod;
  d.alphas_cumprod_prev = map_index(n, [&](std::size_t i) { return i == 0 ? 1.0 : ac[i - 1]; });
  d.alphas_cumprod_next = map_index(n, [&](std::size_t i) { return i + 1 == n ? 0.0 : ac[i + 1]; });
  const auto& prev = d.alphas_cumprod_prev;

  d.sqrt_alphas_cumprod = map_index(n, [&](std::size_t i) { return std::sqrt(ac[i]); });
  d.sqrt_one_minus_alphas_cumprod =
      map_index(n, [&](std::size_t i) { return std::sqrt(1.0 - ac[i]); });
  d.log_one_minus_alphas_cumprod =
      map_index(n, [&](std::size_t i) { return std::log(1.0 - ac[i]); });
  d.sqrt_recip_alphas_cumprod = map_index(n, [&](std::size_t i) { return std::sqrt(1.0 / ac[i]); });
  d.sqrt_recipm1_alphas_cumprod =
      map_index(n, [&](std::size_t i) { return std::sqrt(1.0 / ac[i] - 1); });

  d.posterior_variance =
      map_index(n, [&](std::size_t i) { return b[i] * (1.0 - prev[i]) / (1.0 - ac[i]); });
  // The posterior variance is 0 at t = 0; the reference borrows t = 1's value so the log
  // stays finite (it is the min_log of LEARNED_RANGE there).
  const auto& pv = d.posterior_variance;
  d.posterior_log_variance_clipped =
      map_index(n, [&](std::size_t i) { return std::log(pv[i == 0 ? 1 : i]); });
  d.posterior_mean_coef1 =
      map_index(n, [&](std::size_t i) { return b[i] * std::sqrt(prev[i]) / (1.0 - ac[i]); });
  d.posterior_mean_coef2 = map_index(
      n, [&](std::size_t i) { return (1.0 - prev[i]) * std::sqrt(1.0 - b[i]) / (1.0 - ac[i]); });
  return d;
}

}  // namespace bd::diffusion
