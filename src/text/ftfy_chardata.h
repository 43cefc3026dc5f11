#pragma once
// The character data of ftfy 6.3.1's encoding fixer: the single-byte codecs it tries to
// undo, in its order, and the character classes its heuristics are written in.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace bd::text {

// A codec whose bytes 0x00..0x7F are ASCII, except that byte 0x1A decodes to byte_1a
// (U+FFFD in ftfy's "sloppy" codecs, which write what they cannot represent as 0x1A).
struct SingleByteCodec {
  const char* name;
  char32_t byte_1a;
  char32_t high[128];  // bytes 0x80..0xFF
};

// ftfy's CHARMAP_ENCODINGS: latin-1, sloppy-windows-1252, -1251, -1250, -1253, -1254,
// -1257, iso-8859-2, macroman, cp437.
std::size_t charmap_codec_count();
const SingleByteCodec& charmap_codec(std::size_t index);
bool is_sloppy(const SingleByteCodec& codec);

// The text as that codec's bytes; nullopt when a character has no byte in it.
std::optional<std::string> encode_single_byte(std::u32string_view text,
                                              const SingleByteCodec& codec);
// Bytes 0x00..0xFF to text; every byte has a character.
std::u32string decode_single_byte(std::string_view bytes, const SingleByteCodec& codec);

// ftfy.badness.MOJIBAKE_CATEGORIES and chardata.UTF8_CLUES.
enum class CharClass {
  Common,
  C1,
  Bad,
  Law,
  Currency,
  StartPunctuation,
  EndPunctuation,
  Numeric,
  Kaomoji,
  UpperAccented,
  LowerAccented,
  UpperCommon,
  LowerCommon,
  Box,
  Utf8FirstOf2,
  Utf8FirstOf3,
  Utf8FirstOf4,
  Utf8Continuation,        // includes the space a no-break space may have become
  Utf8ContinuationStrict,  // without it
};

bool in_class(CharClass cls, char32_t c);

}  // namespace bd::text
