#include "pack/edit_defaults.h"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>

namespace bd::pack {

namespace {

// Whether a JSON value converts to T without loss of type or range. nlohmann's get<>
// would cast a float to an integer (undefined behaviour past its range: the fuzzer found a
// 200-digit "seed") and wrap an integer too large for a narrower one.
template <typename T>
bool holds(const nlohmann::json& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v.is_boolean();
  } else if constexpr (std::is_integral_v<T>) {
    if (v.is_number_unsigned())
      return v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<T>::max());
    if (!v.is_number_integer()) return false;
    const std::int64_t i = v.get<std::int64_t>();
    if constexpr (std::is_unsigned_v<T>) return i >= 0;
    return i >= std::numeric_limits<T>::min() && i <= std::numeric_limits<T>::max();
  } else if constexpr (std::is_floating_point_v<T>) {
    return v.is_number();
  } else {
    return v.is_string();
  }
}

}  // namespace

void read_edit_defaults(const nlohmann::json& d, EditParams& p,
                        std::vector<std::string>& problems) {
  auto take = [&](const char* key, auto& field) {
    using T = std::remove_reference_t<decltype(field)>;
    if (!d.contains(key)) return;
    if (holds<T>(d.at(key)))
      field = d.at(key).get<T>();
    else
      problems.push_back(std::string("defaults.") + key + " has the wrong type or is out of range");
  };
  take("timestep_respacing", p.timestep_respacing);
  take("skip_timesteps", p.skip_timesteps);
  take("ddim", p.ddim);
  take("batch_size", p.batch_size);
  take("iterations", p.iterations);
  take("aug_num", p.aug_num);
  take("clip_lambda", p.clip_lambda);
  take("range_lambda", p.range_lambda);
  take("l2_lambda", p.l2_lambda);
  take("lpips_lambda", p.lpips_lambda);
  take("feather_px", p.feather_px);
  take("padding", p.padding);
  take("seed", p.seed);
}

}  // namespace bd::pack
