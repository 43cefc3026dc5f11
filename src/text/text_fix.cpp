#include "text/text_fix.h"

#include <algorithm>
#include <array>
#include <optional>

#include "core/unicode_text.h"
#include "text/html_unescape.h"

namespace bd::text {

namespace {

// Windows-1252 bytes 0x80..0x9F; the five it leaves undefined decode to themselves
// ("sloppy-windows-1252", as ftfy and web browsers read them).
constexpr std::array<char32_t, 32> kCp1252High = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

// The byte a character was decoded from, when it can be one of sloppy-windows-1252.
std::optional<unsigned char> cp1252_byte(char32_t c) {
  if (c < 0x80 || (c >= 0xA0 && c <= 0xFF)) return static_cast<unsigned char>(c);
  for (std::size_t i = 0; i < kCp1252High.size(); ++i) {
    if (kCp1252High[i] == c) return static_cast<unsigned char>(0x80 + i);
  }
  // The C1 controls Windows-1252 defines otherwise still came from their Latin-1 byte.
  if (c >= 0x80 && c <= 0x9F) return static_cast<unsigned char>(c);
  return std::nullopt;
}

// Decodes strictly; nullopt when the bytes are not valid UTF-8.
std::optional<std::u32string> decode_utf8_strict(const std::string& bytes) {
  std::u32string out = core::utf8_to_utf32(bytes);
  if (core::utf32_to_utf8(out) != bytes) return std::nullopt;  // a U+FFFD was substituted
  return out;
}

std::size_t utf8_sequence_length(unsigned char lead) {
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

bool is_continuation(std::optional<unsigned char> b) { return b && *b >= 0x80 && *b <= 0xBF; }

// Runs of characters whose Windows-1252 bytes form valid multi-byte UTF-8 ("cafÃ©"),
// where the run does not continue an earlier garble; ftfy's decode_inconsistent_utf8.
std::u32string fix_embedded_mojibake(std::u32string_view text) {
  std::u32string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const bool after_continuation = i > 0 && is_continuation(cp1252_byte(text[i - 1]));
    std::size_t end = i;
    std::string bytes;
    while (!after_continuation && end < text.size()) {
      const auto lead = cp1252_byte(text[end]);
      const std::size_t n = lead ? utf8_sequence_length(*lead) : 0;
      if (n == 0 || end + n > text.size()) break;
      std::string seq(1, static_cast<char>(*lead));
      for (std::size_t k = 1; k < n && is_continuation(cp1252_byte(text[end + k])); ++k) {
        seq.push_back(static_cast<char>(*cp1252_byte(text[end + k])));
      }
      if (seq.size() != n || !decode_utf8_strict(seq)) break;
      bytes += seq;
      end += n;
    }
    if (end > i) {
      out += *decode_utf8_strict(bytes);
      i = end;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

// One step of ftfy's fix_encoding: the whole text re-read as UTF-8, else its pieces,
// else stray C1 controls as Windows-1252.
std::u32string fix_encoding_step(std::u32string_view text) {
  bool ascii = true;
  bool encodable = true;
  std::string bytes;
  for (char32_t c : text) {
    ascii = ascii && c < 0x80;
    const auto b = cp1252_byte(c);
    encodable = encodable && b.has_value();
    if (b) bytes.push_back(static_cast<char>(*b));
  }
  if (ascii) return std::u32string(text);
  if (encodable) {
    if (auto decoded = decode_utf8_strict(bytes)) return *decoded;
  }
  return fix_embedded_mojibake(text);
}

std::u32string fix_encoding(std::u32string text) {
  for (;;) {
    std::u32string fixed = fix_encoding_step(text);
    if (fixed == text) return text;
    text = std::move(fixed);
  }
}

std::u32string fix_c1_controls(std::u32string_view text) {
  std::u32string out(text);
  for (char32_t& c : out) {
    if (c >= 0x80 && c <= 0x9F) c = kCp1252High[c - 0x80];
  }
  return out;
}

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
