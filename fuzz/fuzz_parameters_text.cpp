// libFuzzer target: the "parameters" text of an exported image, read back. Whatever the
// text, parsing must not crash, every value taken must be valid, and what we would write
// for the result must read back to the same parameters.
#include <cstdlib>

#include "bd/edit_param_table.h"
#include "bd/parameters_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const bd::ParsedParameters parsed = bd::parse_parameters_text(text, bd::EditParams{});
  if (!bd::validate(parsed.params).empty()) std::abort();
  const std::string again = bd::parameters_text(parsed.prompt, parsed.params, parsed.params.seed,
                                                parsed.score.value_or(0.0), parsed.model);
  const bd::ParsedParameters back = bd::parse_parameters_text(again, bd::EditParams{});
  for (const bd::ParamSpec& spec : bd::edit_param_table())
    if (spec.get(back.params) != spec.get(parsed.params)) std::abort();
  if (!back.problems.empty() || back.model != parsed.model) std::abort();
  return 0;
}
