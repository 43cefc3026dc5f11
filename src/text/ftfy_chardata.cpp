#include "text/ftfy_chardata.h"

#include <algorithm>
#include <array>
#include <unordered_map>

namespace bd::text {

namespace {

struct CharRange {
  char32_t lo;
  char32_t hi;
};

#include "text/ftfy_tables.inc"

template <std::size_t N>
bool in_ranges(const CharRange (&ranges)[N], char32_t c) {
  const CharRange* end = ranges + N;
  const CharRange* it =
      std::upper_bound(ranges, end, c, [](char32_t v, const CharRange& r) { return v < r.lo; });
  return it != ranges && c <= (it - 1)->hi;
}

// Per codec, character -> byte for the bytes 0x80..0xFF and 0x1A.
const std::unordered_map<char32_t, unsigned char>& encoder(std::size_t index) {
  static const auto tables = [] {
    std::array<std::unordered_map<char32_t, unsigned char>, std::size(kCodecs)> out;
    for (std::size_t i = 0; i < std::size(kCodecs); ++i) {
      for (int b = 0; b < 128; ++b)
        out[i].emplace(kCodecs[i].high[b], static_cast<unsigned char>(0x80 + b));
      out[i].emplace(kCodecs[i].byte_1a, static_cast<unsigned char>(0x1A));
    }
    return out;
  }();
  return tables[index];
}

}  // namespace

std::size_t charmap_codec_count() { return std::size(kCodecs); }
const SingleByteCodec& charmap_codec(std::size_t index) { return kCodecs[index]; }
bool is_sloppy(const SingleByteCodec& codec) {
  return std::string_view(codec.name).rfind("sloppy", 0) == 0;
}

std::optional<std::string> encode_single_byte(std::u32string_view text,
                                              const SingleByteCodec& codec) {
  const auto& table = encoder(static_cast<std::size_t>(&codec - kCodecs));
  std::string bytes;
  bytes.reserve(text.size());
  for (char32_t c : text) {
    if (c < 0x80 && c != 0x1A) {
      bytes.push_back(static_cast<char>(c));
      continue;
    }
    const auto it = table.find(c);
    if (it == table.end()) return std::nullopt;
    bytes.push_back(static_cast<char>(it->second));
  }
  return bytes;
}

std::u32string decode_single_byte(std::string_view bytes, const SingleByteCodec& codec) {
  std::u32string text;
  text.reserve(bytes.size());
  for (char ch : bytes) {
    const auto b = static_cast<unsigned char>(ch);
    text.push_back(b >= 0x80 ? codec.high[b - 0x80] : b == 0x1A ? codec.byte_1a : b);
  }
  return text;
}

bool in_class(CharClass cls, char32_t c) {
  switch (cls) {
    case CharClass::Common:
      return in_ranges(kCommon, c);
    case CharClass::C1:
      return in_ranges(kC1, c);
    case CharClass::Bad:
      return in_ranges(kBad, c);
    case CharClass::Law:
      return in_ranges(kLaw, c);
    case CharClass::Currency:
      return in_ranges(kCurrency, c);
    case CharClass::StartPunctuation:
      return in_ranges(kStartPunctuation, c);
    case CharClass::EndPunctuation:
      return in_ranges(kEndPunctuation, c);
    case CharClass::Numeric:
      return in_ranges(kNumeric, c);
    case CharClass::Kaomoji:
      return in_ranges(kKaomoji, c);
    case CharClass::UpperAccented:
      return in_ranges(kUpperAccented, c);
    case CharClass::LowerAccented:
      return in_ranges(kLowerAccented, c);
    case CharClass::UpperCommon:
      return in_ranges(kUpperCommon, c);
    case CharClass::LowerCommon:
      return in_ranges(kLowerCommon, c);
    case CharClass::Box:
      return in_ranges(kBox, c);
    case CharClass::Utf8FirstOf2:
      return in_ranges(kUtf8FirstOf2, c);
    case CharClass::Utf8FirstOf3:
      return in_ranges(kUtf8FirstOf3, c);
    case CharClass::Utf8FirstOf4:
      return in_ranges(kUtf8FirstOf4, c);
    case CharClass::Utf8Continuation:
      return in_ranges(kUtf8Continuation, c);
    case CharClass::Utf8ContinuationStrict:
      return in_ranges(kUtf8ContinuationStrict, c);
  }
  return false;
}

}  // namespace bd::text
