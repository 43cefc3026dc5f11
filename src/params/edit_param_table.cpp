#include "bd/edit_param_table.h"

#include <charconv>
#include <sstream>
#include <stdexcept>
#include <type_traits>

namespace bd {

namespace {

// A field's accessors as plain function pointers, so the table stays plain data.
template <auto Field>
ParamValue get_field(const EditParams& p) {
  using T = std::remove_cv_t<std::remove_reference_t<decltype(p.*Field)>>;
  if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, double> || std::is_same_v<T, std::string>)
    return ParamValue{p.*Field};
  else
    return ParamValue{static_cast<std::int64_t>(p.*Field)};
}

template <auto Field>
void set_field(EditParams& p, const ParamValue& v) {
  using T = std::remove_reference_t<decltype(p.*Field)>;
  if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, double> || std::is_same_v<T, std::string>)
    p.*Field = std::get<T>(v);
  else
    p.*Field = static_cast<T>(std::get<std::int64_t>(v));
}

template <auto Field>
ParamSpec field(std::string_view key, std::string_view label, std::string_view cli, std::string_view help) {
  using T = std::remove_reference_t<decltype(std::declval<EditParams&>().*Field)>;
  ParamSpec s;
  s.key = key;
  s.label = label;
  s.cli = cli;
  s.help = help;
  s.get = &get_field<Field>;
  s.set = &set_field<Field>;
  if constexpr (std::is_same_v<T, bool>) {
    s.type = ParamType::Bool;
    s.widget = ParamWidget::Check;
  } else if constexpr (std::is_same_v<T, double>) {
    s.type = ParamType::Double;
    s.widget = ParamWidget::DoubleSpin;
  } else if constexpr (std::is_same_v<T, std::string>) {
    s.type = ParamType::Text;
  } else {
    s.type = ParamType::Int;
    s.widget = ParamWidget::Spin;
  }
  return s;
}

template <auto Field>
ParamSpec number(std::string_view key, std::string_view label, std::string_view cli, double min, double max,
                 std::string_view help) {
  ParamSpec s = field<Field>(key, label, cli, help);
  s.min = min;
  s.max = max;
  return s;
}

// Seeds are exact in a JSON number and in the editor's spin box up to 2^53.
constexpr double kMaxSeed = 9007199254740991.0;

std::vector<ParamSpec> make_table() {
  using P = EditParams;
  const auto advanced = ParamGroup::Advanced;
  std::vector<ParamSpec> t;
  // Sampling.
  t.push_back(field<&P::timestep_respacing>(
                  "timestep_respacing", "Steps", "--timestep-respacing",
                  "Diffusion steps: a count (\"100\"), \"ddimN\" for DDIM's own spacing, or counts per "
                  "section (\"10,20,30\"). More steps: slower, often cleaner.")
                  .shown_as(ParamWidget::Steps));
  t.push_back(number<&P::skip_timesteps>("skip_timesteps", "Skip steps", "--skip-timesteps", 0, 999,
                                         "Steps skipped at the start: the edit's strength. Fewer skipped steps "
                                         "change the region more; more keep more of the original."));
  t.push_back(field<&P::ddim>("ddim", "Sampler", "--ddim",
                              "DDPM: the paper's stochastic sampler. DDIM: deterministic steps; use it with "
                              "fewer steps.")
                  .shown_as(ParamWidget::Choice)
                  .states("DDPM", "DDIM"));
  t.push_back(number<&P::batch_size>("batch_size", "Batch", "--batch-size", 1, 64,
                                     "Candidates made together in one run (memory grows with it)."));
  t.push_back(number<&P::iterations>("iterations", "Runs", "--iterations", 1, 1000,
                                     "Runs one after another; the candidates are batch × runs."));
  t.push_back(number<&P::seed>("seed", "Seed", "--seed", 0, kMaxSeed,
                               "Seed of the first candidate; candidate k uses seed + k, so each is "
                               "reproducible alone.")
                  .shown_as(ParamWidget::Seed));
  // Guidance.
  t.push_back(number<&P::clip_lambda>("clip_lambda", "CLIP weight", "--clip-lambda", 0, 1e6,
                                      "How strongly the region is pulled towards the prompt. Too high floods "
                                      "the mask with saturated patches.")
                  .spin(1, 50));
  t.push_back(number<&P::aug_num>("aug_num", "CLIP views", "--aug-num", 1, 64,
                                  "Views of the region CLIP judges per candidate and step: the first plain, "
                                  "the others randomly warped (affine and perspective). More views resist "
                                  "adversarial patterns but cost time.")
                  .in_group(advanced));
  t.push_back(field<&P::random_augmentations>("random_augmentations", "Random views", "--plain-views",
                                              "Warp the extra CLIP views at random. Off: every view is the "
                                              "plain region, which is weaker against adversarial patterns.")
                  .in_group(advanced)
                  .cli_switches_off());
  t.push_back(number<&P::range_lambda>("range_lambda", "Range weight", "--range-lambda", 0, 1e6,
                                       "Keeps pixel values inside the valid range; raise it if colours clip.")
                  .in_group(advanced)
                  .spin(1, 10));
  // Modes.
  t.push_back(field<&P::local_mode>("local_mode", "Mode", "--local",
                                    "Blended: the paper's method, the background blended back at every step. "
                                    "Local: the baseline it compares with, guided by background losses and "
                                    "never blended.")
                  .in_group(advanced)
                  .shown_as(ParamWidget::Choice)
                  .states("blended", "local CLIP-guided"));
  t.push_back(number<&P::l2_lambda>("l2_lambda", "Background L2 weight", "--l2-lambda", 0, 1e7,
                                    "Local mode only: how strongly the background is held to the original, "
                                    "pixel by pixel.")
                  .in_group(advanced)
                  .spin(0, 1000));
  t.push_back(number<&P::lpips_lambda>("lpips_lambda", "Background LPIPS weight", "--lpips-lambda", 0, 1e7,
                                       "Local mode only, with a pack that has LPIPS weights: how strongly the "
                                       "background is held to the original as a person would judge it.")
                  .in_group(advanced)
                  .spin(0, 100));
  t.push_back(field<&P::enforce_background>("enforce_background", "Paste background", "--no-enforce-background",
                                            "Paste the original background over the result at the end. Off: "
                                            "see what the sampler made outside the mask.")
                  .in_group(advanced)
                  .cli_switches_off());
  ParamSpec fidelity;
  fidelity.key = "fidelity";
  fidelity.label = "Fidelity";
  fidelity.cli = "--reference-fidelity";
  fidelity.type = ParamType::Bool;
  fidelity.help =
      "Product: each candidate reproducible from its own seed. Reference: the official code's quirks "
      "(background noise shared by a batch), to compare with it.";
  fidelity.get = [](const EditParams& p) { return ParamValue{p.fidelity == FidelityMode::Reference}; };
  fidelity.set = [](EditParams& p, const ParamValue& v) {
    p.fidelity = std::get<bool>(v) ? FidelityMode::Reference : FidelityMode::Product;
  };
  t.push_back(fidelity.in_group(advanced).shown_as(ParamWidget::Choice).states("product", "reference"));
  // Region, in full-resolution pixels.
  t.push_back(field<&P::invert_mask>("invert_mask", "Invert mask", "--invert-mask",
                                     "Edit everything except the painted region.")
                  .in_group(advanced));
  t.push_back(number<&P::padding>("padding", "Padding", "--padding", 0, 4,
                                  "Context around the mask the model sees, as a fraction of the mask's size: "
                                  "it needs the surroundings to fill the hole coherently.")
                  .spin(2, 0.05));
  t.push_back(number<&P::grow_px>("grow_px", "Grow mask", "--grow", -512, 512,
                                  "Grow the mask by this many pixels before editing (negative: shrink it).")
                  .with_unit("px"));
  t.push_back(number<&P::feather_px>("feather_px", "Feather", "--feather", 0, 512,
                                     "Soft edge of the paste-back onto the original, hiding the seam.")
                  .with_unit("px"));
  // Feedback. The CLI shows no previews, so it has no option for this one.
  t.push_back(number<&P::preview_every>("preview_every", "Preview every", "", 0, 1000,
                                        "Show the predicted result every N steps (0: no previews).")
                  .in_group(advanced)
                  .with_unit("steps"));
  return t;
}

// As messages have always shown numbers ("[0, 1e+06]"): six significant digits.
std::string message_number(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

// The shortest text that reads back as the same double: the parameters text must
// round-trip exactly.
std::string exact_number(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

const char* type_name(ParamType t) {
  switch (t) {
    case ParamType::Int: return "an integer";
    case ParamType::Double: return "a number";
    case ParamType::Bool: return "true or false";
    default: return "text";
  }
}

}  // namespace

const std::vector<ParamSpec>& edit_param_table() {
  static const std::vector<ParamSpec> table = make_table();
  return table;
}

const ParamSpec* find_edit_param(std::string_view key) {
  for (const ParamSpec& s : edit_param_table())
    if (s.key == key) return &s;
  return nullptr;
}

const ParamSpec& edit_param(std::string_view key) {
  if (const ParamSpec* s = find_edit_param(key)) return *s;
  throw std::out_of_range("no edit parameter '" + std::string(key) + "'");
}

std::string check_param_value(const ParamSpec& spec, const ParamValue& value) {
  const std::string name(spec.key);
  const bool type_ok = (spec.type == ParamType::Int && std::holds_alternative<std::int64_t>(value)) ||
                       (spec.type == ParamType::Double && std::holds_alternative<double>(value)) ||
                       (spec.type == ParamType::Bool && std::holds_alternative<bool>(value)) ||
                       (spec.type == ParamType::Text && std::holds_alternative<std::string>(value));
  if (!type_ok) return name + " must be " + type_name(spec.type);
  if (spec.type == ParamType::Int || spec.type == ParamType::Double) {
    const bool is_int = spec.type == ParamType::Int;
    const double v = is_int ? double(std::get<std::int64_t>(value)) : std::get<double>(value);
    if (!(v >= spec.min && v <= spec.max))  // also refuses NaN
      return name + " must be in [" + message_number(spec.min) + ", " + message_number(spec.max) + "], got " +
             (is_int ? std::to_string(std::get<std::int64_t>(value)) : message_number(v));
  }
  if (spec.type == ParamType::Text && std::get<std::string>(value).empty()) return name + " must not be empty";
  return {};
}

std::string format_param_value(const ParamSpec& spec, const ParamValue& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&value)) return exact_number(*d);
  if (const auto* b = std::get_if<bool>(&value)) {
    const std::string_view text = *b ? spec.on_text : spec.off_text;
    return text.empty() ? (*b ? "yes" : "no") : std::string(text);
  }
  return std::get<std::string>(value);
}

namespace {

// The text as a value of the parameter's type, range unchecked.
std::optional<ParamValue> typed_value(const ParamSpec& spec, std::string_view text) {
  const char* end = text.data() + text.size();
  switch (spec.type) {
    case ParamType::Int: {
      std::int64_t v = 0;
      const auto r = std::from_chars(text.data(), end, v);
      if (r.ec == std::errc() && r.ptr == end) return ParamValue{v};
      return std::nullopt;
    }
    case ParamType::Double: {
      double v = 0;
      const auto r = std::from_chars(text.data(), end, v);
      if (r.ec == std::errc() && r.ptr == end) return ParamValue{v};
      return std::nullopt;
    }
    case ParamType::Bool:
      if (text == (spec.on_text.empty() ? "yes" : spec.on_text)) return ParamValue{true};
      if (text == (spec.off_text.empty() ? "no" : spec.off_text)) return ParamValue{false};
      return std::nullopt;
    case ParamType::Text: return ParamValue{std::string(text)};
  }
  return std::nullopt;
}

}  // namespace

std::optional<ParamValue> parse_param_value(const ParamSpec& spec, std::string_view text) {
  std::optional<ParamValue> value = typed_value(spec, text);
  if (value && !check_param_value(spec, *value).empty()) return std::nullopt;
  return value;
}

std::string param_text_problem(const ParamSpec& spec, std::string_view text) {
  const std::optional<ParamValue> value = typed_value(spec, text);
  if (!value) return std::string(spec.key) + " must be " + type_name(spec.type) + ", got '" + std::string(text) + "'";
  return check_param_value(spec, *value);
}

}  // namespace bd
