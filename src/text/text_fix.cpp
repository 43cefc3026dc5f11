#include "text/text_fix.h"

#include <algorithm>
#include <optional>

#include "core/unicode_text.h"
#include "text/ftfy_encoding.h"
#include "text/html_unescape.h"

namespace bd::text {

namespace {

// ftfy's LIGATURES: Latin typographic ligatures and legacy digraphs, each spelled out
// as its compatibility decomposition, except that ﬅ keeps its long s.
std::u32string fix_latin_ligatures(std::u32string_view text) {
  static constexpr char32_t kLigatures[] = {0x0132, 0x0133, 0x0149, 0x01C4, 0x01C5, 0x01C6, 0x01C7,
                                            0x01C8, 0x01C9, 0x01CA, 0x01CB, 0x01CC, 0x01F1, 0x01F2,
                                            0x01F3, 0xFB00, 0xFB01, 0xFB02, 0xFB03, 0xFB04, 0xFB06};
  std::u32string out;
  for (char32_t c : text) {
    if (c == 0xFB05) {
      out += U"\u017Ft";
    } else if (std::find(std::begin(kLigatures), std::end(kLigatures), c) != std::end(kLigatures)) {
      out += core::normalize(std::u32string(1, c), core::NormalForm::NFKC);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Fullwidth and halfwidth forms (U+FF01..U+FFEF) become their NFKC equivalents, and
// the ideographic space a plain space.
std::u32string fix_character_width(std::u32string_view text) {
  std::u32string out;
  for (char32_t c : text) {
    if (c == 0x3000) {
      out.push_back(U' ');
    } else if (c >= 0xFF01 && c <= 0xFFEF) {
      out += core::normalize(std::u32string(1, c), core::NormalForm::NFKC);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::u32string uncurl_quotes(std::u32string_view text) {
  std::u32string out(text);
  for (char32_t& c : out) {
    if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B)) c = U'\'';
    if (c >= 0x201C && c <= 0x201F) c = U'"';
  }
  return out;
}

std::u32string fix_line_breaks(std::u32string_view text) {
  std::u32string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    if (c == U'\r' && i + 1 < text.size() && text[i + 1] == U'\n') continue;
    out.push_back(c == U'\r' || c == 0x2028 || c == 0x2029 || c == 0x0085 ? U'\n' : c);
  }
  return out;
}

// ANSI escapes: ESC '[' (digits | ';')* letter.
std::u32string remove_terminal_escapes(std::u32string_view text) {
  std::u32string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == 0x1B && i + 1 < text.size() && text[i + 1] == U'[') {
      std::size_t j = i + 2;
      while (j < text.size() && (core::is_decimal_digit(text[j]) || text[j] == U';')) ++j;
      if (j < text.size() &&
          ((text[j] >= U'a' && text[j] <= U'z') || (text[j] >= U'A' && text[j] <= U'Z'))) {
        i = j + 1;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

bool is_unwanted_control(char32_t c) {
  return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
         (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
}

std::u32string remove_control_chars(std::u32string_view text) {
  std::u32string out;
  for (char32_t c : text) {
    if (!is_unwanted_control(c)) out.push_back(c);
  }
  return out;
}

bool is_ascii_alnum(char32_t c) {
  return (c >= U'0' && c <= U'9') || (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z');
}

// One entity as ftfy decodes it: "&name;" from the HTML5 list (or an all-caps spelling of
// a lowercase one that means nothing else), or a numeric reference that ends with ";".
std::optional<std::u32string> ftfy_entity(std::u32string_view match) {
  std::string name;  // without '&', with ';'
  for (char32_t c : match.substr(1)) name.push_back(static_cast<char>(c));
  if (name[0] == '#') {
    std::u32string decoded = html_unescape(match);
    if (decoded.find(U';') != std::u32string::npos) return std::nullopt;
    return decoded;
  }
  if (auto value = html5_entity(name)) return core::utf8_to_utf32(*value);
  // ftfy also reads "&NTILDE;" as "Ñ": the all-caps spelling of an all-lowercase name.
  std::string lower = name;
  for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  std::string upper = lower;
  for (char& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  if (lower == name || upper != name) return std::nullopt;
  const auto value = html5_entity(lower);
  if (!value) return std::nullopt;
  // Only when the capitalised name is no entity of its own, nor a legacy prefix of one.
  if (html_unescape(match) != match) return std::nullopt;
  return core::to_upper(core::utf8_to_utf32(*value));
}

// ftfy's unescape_html: "&#?[0-9A-Za-z]{1,24};" only, so "&amp" alone stays.
std::u32string unescape_html(std::u32string_view text) {
  std::u32string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == U'&') {
      std::size_t j = i + 1;
      if (j < text.size() && text[j] == U'#') ++j;
      const std::size_t name_begin = j;
      while (j < text.size() && j - name_begin < 24 && is_ascii_alnum(text[j])) ++j;
      if (j > name_begin && j < text.size() && text[j] == U';') {
        if (auto decoded = ftfy_entity(text.substr(i, j + 1 - i))) {
          out += *decoded;
          i = j + 1;
          continue;
        }
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

std::u32string fix_segment(std::u32string text, bool unescape) {
  for (;;) {
    const std::u32string before = text;
    if (unescape) text = unescape_html(text);
    text = fix_encoding(std::move(text));
    text = fix_c1_controls(text);
    text = fix_latin_ligatures(text);
    text = fix_character_width(text);
    text = uncurl_quotes(text);
    text = fix_line_breaks(text);
    text = remove_terminal_escapes(text);
    text = remove_control_chars(text);
    text = core::normalize(text, core::NormalForm::NFC);
    if (text == before) return text;
  }
}

}  // namespace

std::u32string fix_text(std::u32string_view text) {
  std::u32string out;
  bool unescape = true;  // ftfy's "auto": off for good once a line holds a '<'
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find(U'\n', pos);
    end = end == std::u32string_view::npos ? text.size() : end + 1;
    const std::u32string_view segment = text.substr(pos, end - pos);
    if (segment.find(U'<') != std::u32string_view::npos) unescape = false;
    out += fix_segment(std::u32string(segment), unescape);
    pos = end;
  }
  return out;
}

}  // namespace bd::text
