#include "bd/parameters_text.h"

#include <charconv>
#include <cstdio>

#include "bd/edit_param_table.h"

namespace bd {

namespace {

bool needs_quotes(const std::string& v) {
  return v.empty() || v.find_first_of(",:\"\\\n\r") != std::string::npos || v.front() == ' ' || v.back() == ' ';
}

std::string quoted(const std::string& v) {
  std::string out = "\"";
  for (const char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
  return out + "\"";
}

// Splits "Key: value, Key: \"a, b\"" into pairs; a quoted value is unescaped. Returns
// false at the first malformed entry.
bool split_entries(const std::string& line, std::vector<std::pair<std::string, std::string>>& entries) {
  std::size_t i = 0;
  while (i < line.size()) {
    const std::size_t colon = line.find(": ", i);
    if (colon == std::string::npos) return false;
    std::string key = line.substr(i, colon - i);
    i = colon + 2;
    std::string value;
    if (i < line.size() && line[i] == '"') {
      ++i;
      for (; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] != '\\') {
          value += line[i];
          continue;
        }
        if (++i == line.size()) return false;
        value += line[i] == 'n' ? '\n' : line[i] == 'r' ? '\r' : line[i];
      }
      if (i == line.size()) return false;  // no closing quote
      ++i;
      if (i < line.size() && line.compare(i, 2, ", ") != 0) return false;
    } else {
      const std::size_t comma = line.find(", ", i);
      value = line.substr(i, comma == std::string::npos ? std::string::npos : comma - i);
      i = comma == std::string::npos ? line.size() : comma;
    }
    if (i < line.size()) i += 2;  // ", "
    entries.emplace_back(std::move(key), std::move(value));
  }
  return true;
}

}  // namespace

std::string parameters_line(const EditParams& params) {
  std::string line;
  for (const ParamSpec& spec : edit_param_table()) {
    const std::string value = format_param_value(spec, spec.get(params));
    line += (line.empty() ? "" : ", ") + std::string(spec.label) + ": " + (needs_quotes(value) ? quoted(value) : value);
  }
  return line;
}

std::string parameters_text(const std::string& prompt, const EditParams& params, std::uint64_t seed, double score,
                            const std::string& model) {
  EditParams p = params;
  p.seed = seed;
  char score_text[32];
  std::snprintf(score_text, sizeof score_text, "%.4f", score);
  return prompt + "\n" + parameters_line(p) + ", Score: " + score_text +
         ", Model: " + (needs_quotes(model) ? quoted(model) : model);
}

ParsedParameters parse_parameters_text(const std::string& text, const EditParams& defaults) {
  ParsedParameters out;
  out.params = defaults;
  std::string body = text;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  const std::size_t last_break = body.rfind('\n');
  const std::string line = last_break == std::string::npos ? body : body.substr(last_break + 1);
  std::vector<std::pair<std::string, std::string>> entries;
  if (!split_entries(line, entries) || entries.empty()) {
    out.prompt = body;
    out.problems.push_back("no parameters line: the text is taken as the prompt");
    return out;
  }
  out.prompt = last_break == std::string::npos ? std::string() : body.substr(0, last_break);
  if (!out.prompt.empty() && out.prompt.back() == '\r') out.prompt.pop_back();
  for (const auto& [key, value] : entries) {
    if (key == "Model") {
      out.model = value;
      continue;
    }
    if (key == "Score") {
      double s = 0;
      const auto r = std::from_chars(value.data(), value.data() + value.size(), s);
      if (r.ec == std::errc() && r.ptr == value.data() + value.size())
        out.score = s;
      else
        out.problems.push_back("Score: '" + value + "' is not a number");
      continue;
    }
    const ParamSpec* spec = nullptr;
    for (const ParamSpec& s : edit_param_table())
      if (s.label == key) spec = &s;
    if (!spec) {
      out.problems.push_back("unknown parameter '" + key + "'");
      continue;
    }
    if (const auto v = parse_param_value(*spec, value)) {
      spec->set(out.params, *v);
      ++out.read;
    } else {
      out.problems.push_back(key + ": '" + value + "' is not a valid " + std::string(spec->key));
    }
  }
  return out;
}

}  // namespace bd
