#pragma once
// ftfy.fix_encoding (ftfy 6.3.1, default settings): undoes mojibake, text that was UTF-8
// read in a single-byte codec, as long as its heuristic says the text looks bad. It
// tries ten codecs, restores no-break spaces that became spaces, turns byte sequences
// that lost a byte into U+FFFD, reads CESU-8 and Java's modified UTF-8, and fixes
// mojibake embedded in good text.
#include <optional>
#include <string>
#include <string_view>

namespace bd::text {

std::u32string fix_encoding(std::u32string text);

// Python's bytes.decode("utf-8") and ftfy's "utf-8-variants"; nullopt on invalid input.
std::optional<std::u32string> decode_utf8_strict(std::string_view bytes);
std::optional<std::u32string> decode_utf8_variants(std::string_view bytes);

// ftfy.fixes.fix_c1_controls: U+0080..U+009F as sloppy Windows-1252.
std::u32string fix_c1_controls(std::u32string_view text);

}  // namespace bd::text
