#pragma once
// Unicode services in Python's terms, backed by ICU: UTF-8 decoding for the file readers
// (EXIF text) and the character classes, case mapping and normalisation the tokenizer
// needs. Text is processed as UTF-32 so that "one character" means what it means in Python.
#include <string>
#include <string_view>

namespace bd::core {

// Invalid UTF-8 becomes U+FFFD per bad byte (Python's errors="replace" is per maximal
// subpart; a C++ caller with invalid bytes gets a close, never a crash).
std::u32string utf8_to_utf32(std::string_view utf8);
std::string utf32_to_utf8(std::u32string_view text);
void append_utf8(std::string& out, char32_t c);

bool is_letter(char32_t c);         // \p{L}
bool is_number(char32_t c);         // \p{N}
bool is_decimal_digit(char32_t c);  // \p{Nd}, what Python's re means by \d
bool is_regex_space(char32_t c);    // \s of the `regex` module: White_Space
bool is_python_space(char32_t c);   // str.isspace(), what str.strip() removes

// str.lower(): full lowercase mappings (U+0130 -> "i\u0307") and final sigma.
std::u32string to_lower(std::u32string_view text);
// str.upper(): full uppercase mappings ("ß" -> "SS").
std::u32string to_upper(std::u32string_view text);

enum class NormalForm { NFC, NFKC };
std::u32string normalize(std::u32string_view text, NormalForm form);

// str.strip() with Python's whitespace.
std::u32string strip(std::u32string_view text);

}  // namespace bd::core
