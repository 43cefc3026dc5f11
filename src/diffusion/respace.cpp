#include "diffusion/respace.h"

#include <torch/torch.h>

#include <cctype>
#include <cmath>
#include <limits>

#include "bd/error.h"

namespace bd::diffusion {

namespace {

[[noreturn]] void bad_respacing(const std::string& respacing, const std::string& why) {
  throw Error(ErrorKind::InvalidInput, "invalid timestep respacing '" + respacing + "': " + why);
}

// Python's int(str) for the forms people write: surrounding whitespace (the original
// config has "32, 16, 8"), an optional sign, digits with single '_' separators.
bool parse_python_int(const std::string& text, int64_t& value) {
  std::size_t b = 0;
  std::size_t e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  bool negative = false;
  if (b < e && (text[b] == '+' || text[b] == '-')) negative = text[b++] == '-';
  if (b == e || text[b] == '_' || text[e - 1] == '_') return false;
  int64_t v = 0;
  for (std::size_t i = b; i < e; ++i) {
    const char c = text[i];
    if (c == '_') {
      if (text[i - 1] == '_') return false;
      continue;
    }
    if (c < '0' || c > '9') return false;
    if (v > (std::numeric_limits<int64_t>::max() - (c - '0')) / 10) return false;
    v = v * 10 + (c - '0');
  }
  value = negative ? -v : v;
  return true;
}

// Python 3 round(): to nearest, exact halves to even.
int64_t round_half_even(double x) {
  const double floor_x = std::floor(x);
  const double diff = x - floor_x;  // exact for the magnitudes used here
  int64_t r = static_cast<int64_t>(floor_x);
  if (diff > 0.5 || (diff == 0.5 && (r % 2 != 0))) ++r;
  return r;
}

std::vector<int64_t> ddim_timesteps(int64_t num_timesteps, const std::string& respacing) {
  int64_t desired = 0;
  if (!parse_python_int(respacing.substr(4), desired)) {
    bad_respacing(respacing, "expected 'ddim' followed by a step count");
  }
  for (int64_t stride = 1; stride < num_timesteps; ++stride) {
    if ((num_timesteps + stride - 1) / stride == desired) {  // len(range(0, T, stride))
      std::vector<int64_t> steps;
      for (int64_t t = 0; t < num_timesteps; t += stride) steps.push_back(t);
      return steps;
    }
  }
  bad_respacing(respacing, "cannot create exactly " + std::to_string(desired) + " steps out of " +
                               std::to_string(num_timesteps) + " with an integer stride");
}

}  // namespace

std::vector<int64_t> space_timesteps(int64_t num_timesteps, const std::string& section_counts) {
  if (num_timesteps < 1) {
    bad_respacing(section_counts,
                  "the base process has " + std::to_string(num_timesteps) + " steps");
  }
  if (section_counts.rfind("ddim", 0) == 0) return ddim_timesteps(num_timesteps, section_counts);

  std::vector<int64_t> counts;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = section_counts.find(',', begin);
    const std::string field = section_counts.substr(begin, comma - begin);
    int64_t count = 0;
    if (!parse_python_int(field, count))
      bad_respacing(section_counts, "'" + field + "' is not an integer");
    // The reference accepts counts ≤ 0 and then builds a diffusion without those steps
    // (or with none at all); refuse them here instead.
    if (count < 1)
      bad_respacing(section_counts, "section count " + std::to_string(count) + " is not positive");
    counts.push_back(count);
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }

  const int64_t sections = static_cast<int64_t>(counts.size());
  const int64_t size_per = num_timesteps / sections;
  const int64_t extra = num_timesteps % sections;
  std::vector<bool> kept(num_timesteps, false);
  int64_t start = 0;
  for (int64_t k = 0; k < sections; ++k) {
    const int64_t size = size_per + (k < extra ? 1 : 0);
    if (size < counts[k]) {
      bad_respacing(section_counts, "cannot divide a section of " + std::to_string(size) +
                                        " steps into " + std::to_string(counts[k]));
    }
    const double frac_stride =
        counts[k] <= 1 ? 1.0 : static_cast<double>(size - 1) / static_cast<double>(counts[k] - 1);
    double cur = 0.0;
    for (int64_t j = 0; j < counts[k]; ++j) {
      kept[start + round_half_even(cur)] = true;
      cur += frac_stride;  // accumulated, not j·stride: the rounding sees the same doubles
    }
    start += size;
  }
  std::vector<int64_t> steps;
  for (int64_t t = 0; t < num_timesteps; ++t) {
    if (kept[t]) steps.push_back(t);
  }
  return steps;
}

RespacedBetas respace_betas(const std::vector<double>& base_betas,
                            const std::vector<int64_t>& use_timesteps) {
  RespacedBetas out;
  const int64_t n = static_cast<int64_t>(base_betas.size());
  int64_t previous = -1;
  for (const int64_t t : use_timesteps) {
    if (t <= previous || t >= n) {
      throw Error(ErrorKind::InvalidInput, "respaced timestep " + std::to_string(t) +
                                               " is out of order or outside [0, " +
                                               std::to_string(n) + ")");
    }
    previous = t;
  }
  double alpha_cumprod = 1.0;
  double last_alpha_cumprod = 1.0;
  std::size_t next = 0;
  for (int64_t t = 0; t < n && next < use_timesteps.size(); ++t) {
    alpha_cumprod *= 1.0 - base_betas[t];  // np.cumprod order, as the base tables
    if (t != use_timesteps[next]) continue;
    out.betas.push_back(1 - alpha_cumprod / last_alpha_cumprod);
    out.timestep_map.push_back(t);
    last_alpha_cumprod = alpha_cumprod;
    ++next;
  }
  return out;
}

torch::Tensor unscale_timestep(const torch::Tensor& t, int64_t num_timesteps) {
  const float factor = static_cast<float>(static_cast<double>(num_timesteps) / 1000.0);
  return (t.to(torch::kFloat32) * factor).to(torch::kInt64);
}

}  // namespace bd::diffusion
