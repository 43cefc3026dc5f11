#pragma once
// Every edit parameter described once: its key, type, default, range, unit, help in the
// artist's words, CLI flag, GUI widget and group. validate(), the CLI options, pack.json
// defaults, the editor's settings and parameters dock, and the "parameters" text written
// into exported images (and read back from them) are all derived from this table, so
// adding a parameter is one entry here plus the code that uses its value.
// Torch- and Qt-free: the widgets library reads it too.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bd/edit_params.h"

namespace bd {

enum class ParamType { Int, Double, Bool, Text };

// Integers travel as int64 (the seed is the widest), text as std::string.
using ParamValue = std::variant<std::int64_t, double, bool, std::string>;

enum class ParamGroup { Basic, Advanced };

enum class ParamWidget {
  Spin,        // integer spin box over the whole range
  DoubleSpin,  // decimal spin box over the whole range
  Check,       // check box labelled with `label`
  Choice,      // combo box of the two texts of a Bool (`off_text`, `on_text`)
  Steps,       // the timestep respacing: a step count, or kept as typed when not a count
  Seed,        // a seed field with a "Random" switch
};

// Methods a parameter applies to, as bits. The pixel method is Blended Diffusion.
enum MethodBits : unsigned { kPixelMethod = 1u << 0 };

struct ParamSpec {
  std::string_view key;    // pack.json "defaults", editor settings, report JSON: snake_case
  std::string_view label;  // the editor's label and the parameters text's name ("Skip steps")
  std::string_view cli;    // the CLI option ("--skip-timesteps")
  ParamType type;
  double min = 0, max = 0;    // Int, Double: the valid range, inclusive
  std::string_view unit;      // shown after numbers ("px"); empty: none
  std::string_view help;      // what it does, for the artist: tooltips and --help
  ParamGroup group = ParamGroup::Basic;
  ParamWidget widget = ParamWidget::Spin;
  int decimals = 0;           // DoubleSpin: decimals shown
  double step = 1;            // Spin, DoubleSpin: arrow step
  // Bool: the CLI flag sets this value (a flag can only switch a default off, as
  // --no-enforce-background does); the texts name both states in the parameters text
  // and a Choice widget ("DDPM"/"DDIM"). Empty texts: "no"/"yes".
  bool cli_sets = true;
  std::string_view off_text, on_text;
  unsigned methods = kPixelMethod;
  ParamValue (*get)(const EditParams&) = nullptr;
  void (*set)(EditParams&, const ParamValue&) = nullptr;

  // Chained refinements, so each table entry reads as one sentence.
  ParamSpec& in_group(ParamGroup g) { group = g; return *this; }
  ParamSpec& shown_as(ParamWidget w) { widget = w; return *this; }
  ParamSpec& with_unit(std::string_view u) { unit = u; return *this; }
  ParamSpec& spin(int shown_decimals, double arrow_step) { decimals = shown_decimals; step = arrow_step; return *this; }
  ParamSpec& states(std::string_view off, std::string_view on) { off_text = off; on_text = on; return *this; }
  ParamSpec& cli_switches_off() { cli_sets = false; return *this; }
};

// All parameters, in the order the editor and --help show them.
const std::vector<ParamSpec>& edit_param_table();
const ParamSpec* find_edit_param(std::string_view key);
const ParamSpec& edit_param(std::string_view key);  // throws std::out_of_range when unknown

// "" when `value` fits the parameter (type and range), else a message naming it:
// "batch_size must be in [1, 64], got 0".
std::string check_param_value(const ParamSpec& spec, const ParamValue& value);

// The value as the parameters text and --help write it, and back. parse returns nothing
// when the text is not a value of this parameter (wrong type or out of range).
std::string format_param_value(const ParamSpec& spec, const ParamValue& value);
std::optional<ParamValue> parse_param_value(const ParamSpec& spec, std::string_view text);
// "" when parse_param_value would accept `text`, else why not, naming the parameter.
std::string param_text_problem(const ParamSpec& spec, std::string_view text);

}  // namespace bd
