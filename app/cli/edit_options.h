#pragma once
// The edit parameters as command-line options, shared by `edit` and `bench toyworld`.
// Options the user leaves unset keep the pack's defaults: each given option records a
// setter that copies just its own field.
#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "bd/edit_params.h"

namespace bd::cli {

struct EditParamOptions {
  EditParams given;  // parse target
  std::vector<std::pair<CLI::Option*, std::function<void(EditParams&)>>> setters;

  // Copies every option that was given on the command line into `params`.
  void apply(EditParams& params) const;
};

// Registers --skip-timesteps, --timestep-respacing, --ddim, --batch-size, --iterations,
// --aug-num, --plain-views, the lambdas, --padding, --feather, --grow, --seed, --local,
// --invert-mask, --no-enforce-background and --reference-fidelity on `cmd`.
void add_edit_param_options(CLI::App* cmd, const std::shared_ptr<EditParamOptions>& o);

}  // namespace bd::cli
