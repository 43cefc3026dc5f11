#include "text/ftfy_encoding.h"

#include <bitset>
#include <initializer_list>
#include <vector>

#include "text/ftfy_badness.h"
#include "text/ftfy_chardata.h"

namespace bd::text {

namespace {

// A fixed-length alternative of a bytes regex: one byte set per position.
using ByteSet = std::bitset<256>;
using BytePattern = std::vector<ByteSet>;

ByteSet bytes_in(std::initializer_list<std::pair<int, int>> ranges) {
  ByteSet set;
  for (const auto& [lo, hi] : ranges) {
    for (int b = lo; b <= hi; ++b) set.set(static_cast<std::size_t>(b));
  }
  return set;
}
ByteSet byte(int b) { return bytes_in({{b, b}}); }

// The length of the first alternative matching at pos, or 0.
std::size_t match_at(const std::vector<BytePattern>& alternatives, std::string_view bytes,
                     std::size_t pos) {
  for (const BytePattern& alt : alternatives) {
    if (pos + alt.size() > bytes.size()) continue;
    std::size_t k = 0;
    while (k < alt.size() && alt[k].test(static_cast<unsigned char>(bytes[pos + k]))) ++k;
    if (k == alt.size()) return k;
  }
  return 0;
}

// chardata.ALTERED_UTF8_RE: UTF-8 sequences whose 0xA0 byte became a space.
const std::vector<BytePattern>& altered_utf8() {
  static const std::vector<BytePattern> alts = [] {
    const ByteSet space = byte(0x20);
    const ByteSet cont = bytes_in({{0x80, 0xBF}});
    const ByteSet cont_not_a0 = bytes_in({{0x80, 0x84}, {0x86, 0x9F}, {0xA1, 0xBF}});
    ByteSet lead2;
    for (int b : {0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9}) lead2.set(static_cast<std::size_t>(b));
    return std::vector<BytePattern>{
        {lead2, space},
        {bytes_in({{0xE2, 0xE3}}), space, cont_not_a0},
        {bytes_in({{0xE0, 0xE3}}), cont_not_a0, space},
        {byte(0xF0), space, cont, cont},
        {byte(0xF0), cont, space, cont},
        {byte(0xF0), cont, cont, space},
    };
  }();
  return alts;
}

// chardata.LOSSY_UTF8_RE: sequences where a byte became "?" or 0x1A (a sloppy codec's
// U+FFFD), and 0x1A itself.
const std::vector<BytePattern>& lossy_utf8() {
  static const std::vector<BytePattern> alts = [] {
    const ByteSet sub = byte(0x1A);
    const ByteSet lost = bytes_in({{0x1A, 0x1A}, {'?', '?'}});
    const ByteSet cont_or_sub = bytes_in({{0x1A, 0x1A}, {0x80, 0xBF}});
    const ByteSet any_cont = bytes_in({{0x1A, 0x1A}, {'?', '?'}, {0x80, 0xBF}});
    const ByteSet lead3 = bytes_in({{0xE0, 0xEF}});
    const ByteSet lead4 = bytes_in({{0xF0, 0xF4}});
    return std::vector<BytePattern>{
        {bytes_in({{0xC2, 0xDF}}), sub},
        {bytes_in({{0xC2, 0xC3}}), byte('?')},
        {byte(0xED), bytes_in({{0xA0, 0xAF}}), lost, byte(0xED), bytes_in({{0xB0, 0xBF}}),
         any_cont},
        {byte(0xED), bytes_in({{0xA0, 0xAF}}), any_cont, byte(0xED), bytes_in({{0xB0, 0xBF}}),
         lost},
        {lead3, lost, cont_or_sub},
        {lead3, cont_or_sub, lost},
        {lead4, lost, cont_or_sub, cont_or_sub},
        {lead4, cont_or_sub, lost, cont_or_sub},
        {lead4, cont_or_sub, cont_or_sub, lost},
        {sub},
    };
  }();
  return alts;
}

bool contains_match(const std::vector<BytePattern>& alternatives, std::string_view bytes) {
  for (std::size_t pos = 0; pos < bytes.size(); ++pos) {
    if (match_at(alternatives, bytes, pos) > 0) return true;
  }
  return false;
}

// fixes.restore_byte_a0: "Ã " not starting a known word gets its 0xA0 back, then every
// ALTERED_UTF8_RE match has its spaces made 0xA0 again.
std::string restore_byte_a0(std::string_view in) {
  std::string bytes;
  for (std::size_t i = 0; i < in.size(); ++i) {
    bytes.push_back(in[i]);
    if (static_cast<unsigned char>(in[i]) != 0xC3 || i + 1 >= in.size() || in[i + 1] != ' ')
      continue;
    const std::string_view rest = in.substr(i + 2);
    bool excepted = false;
    for (std::string_view word : {" ", "quele", "quela", "quilo", "s "})
      excepted = excepted || rest.substr(0, word.size()) == word;
    if (!excepted) bytes.push_back(static_cast<char>(0xA0));
  }
  std::string out;
  for (std::size_t pos = 0; pos < bytes.size();) {
    const std::size_t n = match_at(altered_utf8(), bytes, pos);
    if (n == 0) {
      out.push_back(bytes[pos++]);
      continue;
    }
    for (std::size_t k = 0; k < n; ++k)
      out.push_back(bytes[pos + k] == ' ' ? static_cast<char>(0xA0) : bytes[pos + k]);
    pos += n;
  }
  return out;
}

// fixes.replace_lossy_sequences: each LOSSY_UTF8_RE match becomes U+FFFD's UTF-8.
std::string replace_lossy_sequences(std::string_view bytes) {
  std::string out;
  for (std::size_t pos = 0; pos < bytes.size();) {
    const std::size_t n = match_at(lossy_utf8(), bytes, pos);
    if (n == 0) {
      out.push_back(bytes[pos++]);
    } else {
      out += "\xEF\xBF\xBD";
      pos += n;
    }
  }
  return out;
}

// One well-formed UTF-8 sequence at pos (Python's rules: no overlongs, no surrogates,
// nothing past U+10FFFF); its length, or 0.
std::size_t utf8_sequence(std::string_view bytes, std::size_t pos, char32_t& out) {
  const auto at = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  const unsigned char b0 = at(pos);
  if (b0 < 0x80) {
    out = b0;
    return 1;
  }
  std::size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (pos + n > bytes.size()) return 0;
  char32_t c = b0 & (0x7F >> n);
  for (std::size_t k = 1; k < n; ++k) {
    const unsigned char b = at(pos + k);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return 0;
    c = (c << 6) | (b & 0x3F);
  }
  out = c;
  return n;
}

// Where a utf-8-variants special sequence may end: the end, or before a final "\n"
// (Python's "$").
bool at_end(std::string_view bytes, std::size_t pos) {
  return pos == bytes.size() || (pos + 1 == bytes.size() && bytes[pos] == '\n');
}

bool byte_in(std::string_view bytes, std::size_t pos, int lo, int hi) {
  if (pos >= bytes.size()) return false;
  const auto b = static_cast<unsigned char>(bytes[pos]);
  return b >= lo && b <= hi;
}

// A CESU-8 surrogate pair at pos (utf8_variants.CESU8_RE, anchored), as its code point.
std::optional<char32_t> cesu8_pair(std::string_view bytes, std::size_t pos) {
  if (pos + 6 > bytes.size()) return std::nullopt;
  const auto part = [&](std::size_t k, int lo, int hi) {
    return byte_in(bytes, pos + k, lo, hi) || at_end(bytes, pos + k);
  };
  if (static_cast<unsigned char>(bytes[pos]) != 0xED || !part(1, 0xA0, 0xAF) ||
      !part(2, 0x80, 0xBF) || !(byte_in(bytes, pos + 3, 0xED, 0xED) || at_end(bytes, pos + 3)) ||
      !part(4, 0xB0, 0xBF) || !part(5, 0x80, 0xBF)) {
    return std::nullopt;
  }
  const auto b = [&](std::size_t k) {
    return static_cast<char32_t>(static_cast<unsigned char>(bytes[pos + k]));
  };
  return ((b(1) & 0x0F) << 16) + ((b(2) & 0x3F) << 10) + ((b(4) & 0x0F) << 6) + (b(5) & 0x3F) +
         0x10000;
}

// UTF-8; with `variants`, C0 80 is U+0000 and a CESU-8 surrogate pair its code point,
// while any other surrogate or overlong form stays an error, as in
// utf8_variants.IncrementalDecoder.
std::optional<std::u32string> decode_utf8(std::string_view bytes, bool variants) {
  std::u32string out;
  out.reserve(bytes.size());
  for (std::size_t pos = 0; pos < bytes.size();) {
    const auto lead = static_cast<unsigned char>(bytes[pos]);
    if (variants && lead == 0xC0 &&
        (byte_in(bytes, pos + 1, 0x80, 0x80) || at_end(bytes, pos + 1))) {
      if (pos + 1 == bytes.size()) return std::nullopt;  // a lone C0 at the very end
      out.push_back(0);
      pos += 2;
      continue;
    }
    if (variants && lead == 0xED &&
        (byte_in(bytes, pos + 1, 0xA0, 0xBF) || at_end(bytes, pos + 1))) {
      const auto pair = cesu8_pair(bytes, pos);
      if (!pair) return std::nullopt;
      out.push_back(*pair);
      pos += 6;
      continue;
    }
    char32_t c = 0;
    const std::size_t n = utf8_sequence(bytes, pos, c);
    if (n == 0) return std::nullopt;
    out.push_back(c);
    pos += n;
  }
  return out;
}

}  // namespace

std::optional<std::u32string> decode_utf8_strict(std::string_view bytes) {
  return decode_utf8(bytes, /*variants=*/false);
}

std::optional<std::u32string> decode_utf8_variants(std::string_view bytes) {
  return decode_utf8(bytes, /*variants=*/true);
}

std::u32string fix_c1_controls(std::u32string_view text) {
  const SingleByteCodec& cp1252 = charmap_codec(1);  // sloppy-windows-1252
  std::u32string out(text);
  for (char32_t& c : out) {
    if (c >= 0x80 && c <= 0x9F) c = cp1252.high[c - 0x80];
  }
  return out;
}

namespace {

bool is_ascii(std::u32string_view text) {
  for (char32_t c : text) {
    if (c >= 0x80) return false;
  }
  return true;
}

// chardata.UTF8_DETECTOR_RE at pos: runs of what would be UTF-8 lead and continuation
// bytes in some codec, not preceded by a continuation; the run's end, or pos.
std::size_t utf8_detector_match(std::u32string_view text, std::size_t pos) {
  if (pos > 0 && in_class(CharClass::Utf8ContinuationStrict, text[pos - 1])) return pos;
  const auto continuations = [&](std::size_t at, std::size_t n) {
    if (at + n > text.size()) return false;
    for (std::size_t k = 0; k < n; ++k) {
      if (!in_class(CharClass::Utf8Continuation, text[at + k])) return false;
    }
    return true;
  };
  std::size_t end = pos;
  while (end < text.size()) {
    const char32_t c = text[end];
    std::size_t n = 0;
    if (in_class(CharClass::Utf8FirstOf2, c) && continuations(end + 1, 1)) {
      n = 2;
    } else if (in_class(CharClass::Utf8FirstOf3, c) && continuations(end + 1, 2)) {
      n = 3;
    } else if (in_class(CharClass::Utf8FirstOf4, c) && continuations(end + 1, 3)) {
      n = 4;
    } else {
      break;
    }
    end += n;
  }
  return end;
}

// fixes.decode_inconsistent_utf8: each detector match that looks bad on its own, and
// is not the whole text, is fixed by itself.
std::u32string decode_inconsistent_utf8(std::u32string_view text) {
  std::u32string out;
  std::size_t copied = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t end = utf8_detector_match(text, pos);
    if (end == pos) {
      ++pos;
      continue;
    }
    out.append(text.substr(copied, pos - copied));
    const std::u32string_view piece = text.substr(pos, end - pos);
    if (piece.size() < text.size() && looks_like_mojibake(piece)) {
      out += fix_encoding(std::u32string(piece));
    } else {
      out.append(piece);
    }
    copied = pos = end;
  }
  out.append(text.substr(copied));
  return out;
}

// ftfy._fix_encoding_one_step_and_explain.
std::u32string fix_encoding_step(const std::u32string& text) {
  if (text.empty() || is_ascii(text) || !looks_like_mojibake(text)) return text;
  bool latin1_possible = false;
  for (std::size_t i = 0; i < charmap_codec_count(); ++i) {
    const SingleByteCodec& codec = charmap_codec(i);
    std::optional<std::string> bytes = encode_single_byte(text, codec);
    if (!bytes) continue;
    latin1_possible = latin1_possible || i == 0;
    if (std::string_view(codec.name) != "macroman" && contains_match(altered_utf8(), *bytes))
      *bytes = restore_byte_a0(*bytes);
    if (is_sloppy(codec)) *bytes = replace_lossy_sequences(*bytes);
    const bool variants =
        bytes->find('\xED') != std::string::npos || bytes->find('\xC0') != std::string::npos;
    auto decoded = variants ? decode_utf8_variants(*bytes) : decode_utf8_strict(*bytes);
    if (decoded) return *decoded;
  }
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    if (utf8_detector_match(text, pos) == pos) continue;
    std::u32string fixed = decode_inconsistent_utf8(text);
    if (fixed != text) return fixed;
    break;
  }
  // Latin-1 text read back as strict Windows-1252, whose five undefined bytes fail it.
  if (latin1_possible) {
    std::u32string fixed = text;
    bool defined = true;
    for (char32_t& c : fixed) {
      if (c < 0x80 || c > 0x9F) continue;
      const char32_t mapped = charmap_codec(1).high[c - 0x80];
      defined = defined && mapped != c;
      c = mapped;
    }
    if (defined && fixed != text) return fixed;
  }
  for (char32_t c : text) {
    if (c >= 0x80 && c <= 0x9F) return fix_c1_controls(text);
  }
  return text;
}

}  // namespace

std::u32string fix_encoding(std::u32string text) {
  for (;;) {
    std::u32string fixed = fix_encoding_step(text);
    if (fixed == text) return text;
    text = std::move(fixed);
  }
}

}  // namespace bd::text
