#include "bd/edit_params.h"

#include "bd/edit_param_table.h"

namespace bd {

std::string validate(const EditParams& params) {
  for (const ParamSpec& spec : edit_param_table())
    if (std::string problem = check_param_value(spec, spec.get(params)); !problem.empty()) return problem;
  return {};
}

}  // namespace bd
