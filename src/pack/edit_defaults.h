#pragma once
// pack.json "defaults": the edit parameters that suit a pack's models, under the names
// the CLI uses (snake_case).
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "bd/edit_params.h"

namespace bd::pack {

// Overrides the fields of `params` that `defaults` names. A value of the wrong type or
// out of its field's range leaves the field and adds "defaults.KEY ..." to `problems`.
void read_edit_defaults(const nlohmann::json& defaults, EditParams& params,
                        std::vector<std::string>& problems);

}  // namespace bd::pack
