#pragma once
// Python's html.unescape, exactly: numeric references (with the HTML5 replacement rules
// for invalid ones) and every HTML5 named reference, including the legacy names that
// may omit the ";" ("&amp" and "&ampx" both give "&").
#include <optional>
#include <string>
#include <string_view>

namespace bd::text {

std::u32string html_unescape(std::u32string_view text);

// The value of one HTML5 named reference, name given without "&" ("amp;", "amp").
std::optional<std::string_view> html5_entity(std::string_view name);

}  // namespace bd::text
