#pragma once
// CLIP's text preparation before BPE (simple_tokenizer.py): basic_clean, whitespace_clean,
// lower(), and the pre-tokenisation regex.
#include <string>
#include <string_view>
#include <vector>

#include "text/text_fix.h"

namespace bd::text {

// fix (ftfy) -> html.unescape twice -> strip -> whitespace runs to one space -> strip
// -> str.lower().
std::u32string clean_text(std::string_view utf8, TextFix fix);

// The pieces CLIP's regex finds, in UTF-8:
//   <|startoftext|> | <|endoftext|> | 's|'t|'re|'ve|'m|'ll|'d | \p{L}+ | \p{N} | [^\s\p{L}\p{N}]+
// case-insensitively; whitespace separates and is dropped.
std::vector<std::string> split_words(std::u32string_view cleaned);

}  // namespace bd::text
