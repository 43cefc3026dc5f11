#include "params/params_json.h"

#include <limits>

#include "bd/edit_param_table.h"

namespace bd {

namespace {

// The value as the parameter's type, without any lossy cast: nlohmann's get<> would turn
// a float into an integer (undefined past its range: a fuzzer found a 200-digit seed).
std::optional<ParamValue> value_of(const ParamSpec& spec, const nlohmann::json& v) {
  switch (spec.type) {
    case ParamType::Int:
      if (v.is_number_unsigned() &&
          v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return ParamValue{static_cast<std::int64_t>(v.get<std::uint64_t>())};
      if (v.is_number_integer() && !v.is_number_unsigned()) return ParamValue{v.get<std::int64_t>()};
      return std::nullopt;
    case ParamType::Double:
      if (v.is_number()) return ParamValue{v.get<double>()};
      return std::nullopt;
    case ParamType::Bool:
      if (v.is_boolean()) return ParamValue{v.get<bool>()};
      return std::nullopt;
    case ParamType::Text:
      if (v.is_string()) return ParamValue{v.get<std::string>()};
      return std::nullopt;
  }
  return std::nullopt;
}

const char* expected(ParamType t) {
  switch (t) {
    case ParamType::Int: return "an integer";
    case ParamType::Double: return "a number";
    case ParamType::Bool: return "true or false";
    default: return "a string";
  }
}

std::string shortened(const nlohmann::json& v) {
  std::string text = v.dump();
  return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

}  // namespace

void apply_params_json(const nlohmann::json& object, EditParams& params, const std::string& path,
                       std::vector<std::string>& problems) {
  if (!object.is_object()) {
    problems.push_back(path + ": expected an object of edit parameters, got " + shortened(object));
    return;
  }
  for (const auto& [key, v] : object.items()) {
    const ParamSpec* spec = find_edit_param(key);
    if (!spec) {
      problems.push_back(path + "." + key + ": not an edit parameter");
      continue;
    }
    const std::optional<ParamValue> value = value_of(*spec, v);
    if (!value) {
      problems.push_back(path + "." + key + ": expected " + expected(spec->type) + ", got " + shortened(v));
      continue;
    }
    if (const std::string problem = check_param_value(*spec, *value); !problem.empty()) {
      problems.push_back(path + "." + key + ": " + problem);
      continue;
    }
    spec->set(params, *value);
  }
}

nlohmann::json params_to_json(const EditParams& params) {
  nlohmann::json j = nlohmann::json::object();
  for (const ParamSpec& spec : edit_param_table())
    std::visit([&](const auto& v) { j[std::string(spec.key)] = v; }, spec.get(params));
  return j;
}

}  // namespace bd
