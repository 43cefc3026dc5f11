#pragma once
// ftfy.fix_text (6.3.1, default settings), what CLIP runs before anything else. The
// reference vectors ran with ftfy replaced by the identity (TextFix::None).
#include <string>
#include <string_view>

namespace bd::text {

enum class TextFix {
  None,  // ftfy as the identity: what the reference vectors and §5.6 used
  Ftfy,  // ftfy's fixes: see fix_text
};

// Per line, repeated until nothing changes: HTML entities ending in ";" (unless a "<"
// was seen), mojibake (ftfy_encoding.h), C1 controls as Windows-1252, Latin ligatures,
// fullwidth/halfwidth forms, curly quotes, line breaks, terminal escapes, control
// characters, then NFC. Checked against the real ftfy on the prompts of
// tests/data/tokenizer/clip_ftfy_prompts.jsonl.
std::u32string fix_text(std::u32string_view text);

}  // namespace bd::text
