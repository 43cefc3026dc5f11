#include <sstream>

#include "bd/edit_params.h"

namespace bd {

namespace {
template <typename T>
std::string out_of_range(const char* name, T value, T lo, T hi) {
  if (value >= lo && value <= hi) return {};
  std::ostringstream o;
  o << name << " must be in [" << lo << ", " << hi << "], got " << value;
  return o.str();
}
}  // namespace

std::string validate(const EditParams& p) {
  for (const std::string& problem : {
           out_of_range("skip_timesteps", p.skip_timesteps, 0, 999),
           out_of_range("batch_size", p.batch_size, 1, 64),
           out_of_range("iterations", p.iterations, 1, 1000),
           out_of_range("aug_num", p.aug_num, 1, 64),
           out_of_range("clip_lambda", p.clip_lambda, 0.0, 1e6),
           out_of_range("range_lambda", p.range_lambda, 0.0, 1e6),
           out_of_range("l2_lambda", p.l2_lambda, 0.0, 1e7),
           out_of_range("lpips_lambda", p.lpips_lambda, 0.0, 1e7),
           out_of_range("grow_px", p.grow_px, -512, 512),
           out_of_range("feather_px", p.feather_px, 0, 512),
           out_of_range("padding", p.padding, 0.0, 4.0),
           out_of_range("preview_every", p.preview_every, 0, 1000),
       }) {
    if (!problem.empty()) return problem;
  }
  if (p.timestep_respacing.empty()) return "timestep_respacing must not be empty (e.g. \"100\" or \"ddim50\")";
  return {};
}

}  // namespace bd
