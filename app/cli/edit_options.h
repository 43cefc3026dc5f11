#pragma once
// The edit parameters as command-line options, shared by `edit` and `bench toyworld`,
// one per entry of the parameter table (bd/edit_param_table.h) that has a CLI name.
// Options the user leaves unset keep the pack's defaults.
#include <CLI/CLI.hpp>

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bd/edit_param_table.h"

namespace bd::cli {

struct EditParamOptions {
  // Each option's text as given, checked by the option's validator while parsing.
  std::deque<std::string> texts;
  std::vector<std::pair<CLI::Option*, const ParamSpec*>> options;

  // Copies every option that was given on the command line into `params`.
  void apply(EditParams& params) const;
};

// Registers an option per parameter with a CLI name: a value option checked against
// the parameter's type and range, or a flag for a switch.
void add_edit_param_options(CLI::App* cmd, const std::shared_ptr<EditParamOptions>& o);

}  // namespace bd::cli
