// libFuzzer target: ftfy's fix_text and CLIP's cleaning on any prompt bytes, the code
// that takes apart mojibake, entities and control characters before tokenizing.
// It must end without a sanitizer report, and the cleaned text must hold no C0 control
// nor DEL: ftfy removes them but whitespace, which the cleaning turns into single spaces,
// and html.unescape drops the ones entities name.
#include <string>

#include "core/unicode_text.h"
#include "text/text_clean.h"
#include "text/text_fix.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;  // prompts are short; long inputs only slow the search
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const std::u32string fixed = bd::text::fix_text(bd::core::utf8_to_utf32(bytes));
  for (char32_t c : fixed) {
    if (c > 0x10FFFF) __builtin_trap();
  }
  const std::u32string cleaned = bd::text::clean_text(bytes, bd::text::TextFix::Ftfy);
  for (char32_t c : cleaned) {
    if (c < 0x20 || c == 0x7F) __builtin_trap();
  }
  bd::text::split_words(cleaned);
  return 0;
}
