#pragma once
// Edit parameters as a JSON object keyed by the table's keys: a pack's "defaults", and
// what other stores keep.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bd/edit_params.h"

namespace bd {

// Takes every parameter `object` names into `params`. Each problem (an unknown key, a
// value of the wrong type or out of range) is appended to `problems`, prefixed with
// `path` ("defaults.seed: ..."); the parameter then keeps its value.
void apply_params_json(const nlohmann::json& object, EditParams& params, const std::string& path,
                       std::vector<std::string>& problems);

nlohmann::json params_to_json(const EditParams& params);

}  // namespace bd
