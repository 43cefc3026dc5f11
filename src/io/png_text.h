#pragma once
// PNG text chunks without a PNG library: OpenCV's encoder cannot write them, so we
// splice them into its output, and read them back by walking the chunk list.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bd::io {

bool is_png(const std::uint8_t* data, std::size_t size);

// Returns `png` with one chunk per entry right after IHDR: tEXt when the (UTF-8) text
// is representable in Latin-1, else iTXt with UTF-8. Keywords must be 1-79 printable
// ASCII characters without leading, trailing or doubled spaces (the PNG rule, minus
// Latin-1 letters). Throws bd::Error(InvalidInput) naming `path` for a bad entry.
std::vector<std::uint8_t> insert_png_text(const std::vector<std::uint8_t>& png,
                                          const std::map<std::string, std::string>& text,
                                          const std::string& path);

// Every tEXt, zTXt and iTXt chunk as keyword -> UTF-8 text (a later duplicate wins).
// Chunks with a bad CRC or a malformed layout are skipped; a truncated file yields
// what came before the damage. {} when `data` is not a PNG.
std::map<std::string, std::string> parse_png_text(const std::uint8_t* data, std::size_t size);

}  // namespace bd::io
