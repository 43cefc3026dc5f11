#include "edit_options.h"

namespace bd::cli {

namespace {

std::string type_text(const ParamSpec& spec) {
  const std::string range = "[" + format_param_value(spec, ParamValue{spec.min}) + ", " +
                            format_param_value(spec, ParamValue{spec.max}) + "]";
  switch (spec.type) {
    case ParamType::Int: return "INT in " + range;
    case ParamType::Double: return "NUMBER in " + range;
    default: return "TEXT";
  }
}

std::string help_text(const ParamSpec& spec) {
  const EditParams defaults;
  std::string help(spec.help);
  if (spec.type == ParamType::Bool) return help;
  return help + " (default " + format_param_value(spec, spec.get(defaults)) + "; a pack may set its own)";
}

}  // namespace

void EditParamOptions::apply(EditParams& params) const {
  for (std::size_t k = 0; k < options.size(); ++k) {
    const auto& [option, spec] = options[k];
    if (option->count() == 0) continue;
    if (spec->type == ParamType::Bool)
      spec->set(params, ParamValue{spec->cli_sets});
    else
      spec->set(params, *parse_param_value(*spec, texts[k]));  // the validator accepted it
  }
}

void add_edit_param_options(CLI::App* cmd, const std::shared_ptr<EditParamOptions>& o) {
  for (const ParamSpec& spec : edit_param_table()) {
    if (spec.cli.empty()) continue;
    const std::string name(spec.cli);
    o->texts.emplace_back();
    if (spec.type == ParamType::Bool) {
      o->options.emplace_back(cmd->add_flag(name)->description(help_text(spec)), &spec);
      continue;
    }
    const ParamSpec* s = &spec;
    CLI::Validator fits([s](std::string& text) { return param_text_problem(*s, text); }, type_text(spec));
    o->options.emplace_back(cmd->add_option(name, o->texts.back(), help_text(spec))->check(fits), &spec);
  }
}

}  // namespace bd::cli
