#pragma once
// What ftfy.fix_text (6.x, default settings) does to text users type, without its
// statistical mojibake detector. CLIP runs ftfy before anything else; the reference
// vectors ran with ftfy replaced by the identity (TextFix::None).
#include <string>
#include <string_view>

namespace bd::text {

enum class TextFix {
  None,  // ftfy as the identity: what the reference vectors and §5.6 used
  Ftfy,  // ftfy's fixes, approximately: see fix_text
};

// Per line, repeated until nothing changes: HTML entities ending in ";" (unless a "<"
// was seen), mojibake (UTF-8 read as Latin-1/Windows-1252), C1 controls as
// Windows-1252, Latin ligatures, fullwidth/halfwidth forms, curly quotes, line breaks,
// terminal escapes, control characters, then NFC.
// Differs from ftfy where ftfy's badness heuristic would refuse a mojibake repair that
// decodes as valid UTF-8, and it tries no single-byte codec other than Windows-1252.
std::u32string fix_text(std::u32string_view text);

}  // namespace bd::text
