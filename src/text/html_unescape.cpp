#include "text/html_unescape.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "core/unicode_text.h"

namespace bd::text {

namespace {

struct Entity {
  std::string_view name;
  std::string_view value;  // UTF-8
};

constexpr Entity kEntities[] = {
#include "text/html_entities.inc"
};

// HTML5 "numeric character reference end state": what the C1 range and NUL/CR mean.
// Python html._invalid_charrefs; U+0081, U+008D, U+008F, U+0090, U+009D map to themselves.
constexpr std::array<char32_t, 32> kC1Replacements = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,  // 80..87
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,  // 88..8F
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  // 90..97
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,  // 98..9F
};

// Python html._invalid_codepoints: references to these vanish.
bool is_dropped_codepoint(std::uint32_t n) {
  return (n >= 0x1 && n <= 0x8) || n == 0xB || (n >= 0xE && n <= 0x1F) ||
         (n >= 0x7F && n <= 0x9F) || (n >= 0xFDD0 && n <= 0xFDEF) || (n & 0xFFFE) == 0xFFFE;
}

void append_numeric(std::u32string& out, std::uint32_t n) {
  if (n == 0) {
    out.push_back(0xFFFD);
  } else if (n == 0x0D) {
    out.push_back(U'\r');
  } else if (n >= 0x80 && n <= 0x9F) {
    out.push_back(kC1Replacements[n - 0x80]);
  } else if ((n >= 0xD800 && n <= 0xDFFF) || n > 0x10FFFF) {
    out.push_back(0xFFFD);
  } else if (!is_dropped_codepoint(n)) {
    out.push_back(static_cast<char32_t>(n));
  }
}

bool is_ascii_digit(char32_t c) { return c >= U'0' && c <= U'9'; }
bool is_hex_digit(char32_t c) {
  return is_ascii_digit(c) || (c >= U'a' && c <= U'f') || (c >= U'A' && c <= U'F');
}
int hex_value(char32_t c) {
  return is_ascii_digit(c) ? static_cast<int>(c - U'0') : static_cast<int>((c | 0x20) - U'a' + 10);
}

// Parses "#123;" / "#x1F;" after the '&' at text[pos]; returns the end or pos if none.
std::size_t parse_numeric(std::u32string_view text, std::size_t pos, std::u32string& out) {
  std::size_t i = pos + 1;  // after '#'
  const bool hex =
      i + 1 < text.size() && (text[i] == U'x' || text[i] == U'X') && is_hex_digit(text[i + 1]);
  if (hex) ++i;
  const std::size_t digits_begin = i;
  std::uint32_t n = 0;
  while (i < text.size() && (hex ? is_hex_digit(text[i]) : is_ascii_digit(text[i]))) {
    // Saturate: Python's integers are unbounded, anything past U+10FFFF means U+FFFD.
    const std::uint32_t digit = static_cast<std::uint32_t>(hex_value(text[i]));
    n = n > 0x10FFFF ? n : n * (hex ? 16 : 10) + digit;
    ++i;
  }
  if (i == digits_begin) return pos;
  if (i < text.size() && text[i] == U';') ++i;
  append_numeric(out, n);
  return i;
}

bool ends_name(char32_t c) {
  return c == U'\t' || c == U'\n' || c == U'\f' || c == U' ' || c == U'<' || c == U'&' ||
         c == U'#' || c == U';';
}

// Parses a named reference after the '&' at text[pos-1]; returns the end.
std::size_t parse_named(std::u32string_view text, std::size_t pos, std::u32string& out) {
  std::size_t end = pos;
  while (end < text.size() && end - pos < 32 && !ends_name(text[end])) ++end;
  if (end == pos) return pos;
  if (end < text.size() && text[end] == U';') ++end;
  const std::u32string_view name = text.substr(pos, end - pos);
  // Entity names are ASCII; a name with anything else cannot match (but a prefix can).
  std::string ascii;
  for (char32_t c : name) ascii.push_back(c < 0x80 ? static_cast<char>(c) : '\x01');
  // Whole name first, then the longest legacy prefix of at least 2 characters.
  if (auto value = html5_entity(ascii)) {
    out += core::utf8_to_utf32(*value);
    return end;
  }
  for (std::size_t len = ascii.size() - 1; len >= 2; --len) {
    if (auto value = html5_entity(std::string_view(ascii).substr(0, len))) {
      out += core::utf8_to_utf32(*value);
      out += name.substr(len);
      return end;
    }
  }
  out.push_back(U'&');
  out += name;
  return end;
}

}  // namespace

std::optional<std::string_view> html5_entity(std::string_view name) {
  const auto* it = std::lower_bound(std::begin(kEntities), std::end(kEntities), name,
                                    [](const Entity& e, std::string_view n) { return e.name < n; });
  if (it == std::end(kEntities) || it->name != name) return std::nullopt;
  return it->value;
}

std::u32string html_unescape(std::u32string_view text) {
  if (text.find(U'&') == std::u32string_view::npos) return std::u32string(text);
  std::u32string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != U'&') {
      out.push_back(text[i++]);
      continue;
    }
    const std::size_t start = i + 1;
    std::size_t end = start;
    if (start < text.size() && text[start] == U'#') {
      end = parse_numeric(text, start, out);
    } else {
      end = parse_named(text, start, out);
    }
    if (end == start) {
      out.push_back(U'&');
      ++i;
    } else {
      i = end;
    }
  }
  return out;
}

}  // namespace bd::text
