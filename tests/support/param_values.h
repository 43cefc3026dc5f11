#pragma once
// For the parameter-table tests: a valid value of each parameter other than the one a
// params object holds, so a consumer that drops a parameter is caught.
#include "bd/edit_param_table.h"

namespace bd::test {

// The range's far end for numbers (the minimum unless that is the current value), the
// other state of a switch, another step count for text.
inline ParamValue other_param_value(const ParamSpec& spec, const EditParams& params) {
  const ParamValue now = spec.get(params);
  switch (spec.type) {
    case ParamType::Int: {
      const auto lo = static_cast<std::int64_t>(spec.min), hi = static_cast<std::int64_t>(spec.max);
      return ParamValue{std::get<std::int64_t>(now) == lo ? hi : lo};
    }
    case ParamType::Double: return ParamValue{std::get<double>(now) == spec.min ? spec.max : spec.min};
    case ParamType::Bool: return ParamValue{!std::get<bool>(now)};
    case ParamType::Text: return ParamValue{std::string(std::get<std::string>(now) == "37" ? "38" : "37")};
  }
  return now;
}

// `params` with only this parameter changed.
inline EditParams with_other_value(const ParamSpec& spec, EditParams params) {
  spec.set(params, other_param_value(spec, params));
  return params;
}

}  // namespace bd::test
