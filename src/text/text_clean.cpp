#include "text/text_clean.h"

#include "core/unicode_text.h"
#include "text/html_unescape.h"

namespace bd::text {

namespace {

// The alternatives CLIP's regex tries before the character classes, in its order.
constexpr std::u32string_view kLiterals[] = {
    U"<|startoftext|>", U"<|endoftext|>", U"'s", U"'t", U"'re", U"'ve", U"'m", U"'ll", U"'d"};

// IGNORECASE in the `regex` module compares simple case foldings: "ſ" (U+017F) is "s".
bool same_ignoring_case(char32_t c, char32_t ascii) {
  if (c == ascii) return true;
  if (ascii >= U'a' && ascii <= U'z' && c == ascii - 32) return true;
  return ascii == U's' && c == 0x017F;
}

std::size_t match_literal(std::u32string_view text, std::size_t pos) {
  for (std::u32string_view literal : kLiterals) {
    if (pos + literal.size() > text.size()) continue;
    std::size_t k = 0;
    while (k < literal.size() && same_ignoring_case(text[pos + k], literal[k])) ++k;
    if (k == literal.size()) return k;
  }
  return 0;
}

bool is_other(char32_t c) {
  return !core::is_regex_space(c) && !core::is_letter(c) && !core::is_number(c);
}

std::u32string collapse_whitespace(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (core::is_regex_space(text[i])) {
      out.push_back(U' ');
      while (i < text.size() && core::is_regex_space(text[i])) ++i;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

}  // namespace

std::u32string clean_text(std::string_view utf8, TextFix fix) {
  std::u32string text = core::utf8_to_utf32(utf8);
  if (fix == TextFix::Ftfy) text = fix_text(text);
  text = core::strip(html_unescape(html_unescape(text)));
  text = core::strip(collapse_whitespace(text));
  return core::to_lower(text);
}

std::vector<std::string> split_words(std::u32string_view text) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = i + match_literal(text, i);
    if (end == i) {
      const char32_t c = text[i];
      if (core::is_regex_space(c)) {
        ++i;
        continue;
      }
      if (core::is_letter(c)) {
        while (end < text.size() && core::is_letter(text[end])) ++end;
      } else if (core::is_number(c)) {
        end = i + 1;  // digits are split one by one
      } else {
        while (end < text.size() && is_other(text[end])) ++end;
      }
    }
    words.push_back(core::utf32_to_utf8(text.substr(i, end - i)));
    i = end;
  }
  return words;
}

}  // namespace bd::text
