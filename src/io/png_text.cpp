#include "io/png_text.h"

#include <zlib.h>

#include <cstring>
#include <optional>

#include "bd/error.h"

namespace bd::io {

namespace {

constexpr std::size_t kSignatureSize = 8;
// Decompressed text beyond this is a zip bomb, not generation parameters.
constexpr std::size_t kMaxInflatedText = 16u << 20;

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

void put_be32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

void append_chunk(std::vector<std::uint8_t>& out, const char* type, const std::string& data) {
  put_be32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t crc_from = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  // The CRC covers type and data, not the length.
  put_be32(out, static_cast<std::uint32_t>(
                    ::crc32(0, out.data() + crc_from, static_cast<uInt>(out.size() - crc_from))));
}

// UTF-8 -> code points; nullopt when not valid UTF-8.
std::optional<std::u32string> decode_utf8(const std::string& s) {
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    int extra = b < 0x80 ? 0 : (b >> 5) == 6 ? 1 : (b >> 4) == 14 ? 2 : (b >> 3) == 30 ? 3 : -1;
    if (extra < 0 || i + extra >= s.size()) return std::nullopt;
    char32_t cp = extra == 0 ? b : b & (0x3F >> extra);
    for (int k = 1; k <= extra; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c >> 6) != 2) return std::nullopt;
      cp = (cp << 6) | (c & 0x3F);
    }
    static const char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    out.push_back(cp);
    i += extra + 1;
  }
  return out;
}

std::string latin1_to_utf8(const std::uint8_t* p, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] < 0x80) {
      out.push_back(static_cast<char>(p[i]));
    } else {
      out.push_back(static_cast<char>(0xC0 | (p[i] >> 6)));
      out.push_back(static_cast<char>(0x80 | (p[i] & 0x3F)));
    }
  }
  return out;
}

bool valid_keyword(const std::string& k) {
  if (k.empty() || k.size() > 79 || k.front() == ' ' || k.back() == ' ') return false;
  for (std::size_t i = 0; i < k.size(); ++i) {
    if (k[i] < 32 || k[i] > 126) return false;
    if (k[i] == ' ' && i > 0 && k[i - 1] == ' ') return false;
  }
  return true;
}

std::optional<std::string> inflate_text(const std::uint8_t* p, std::size_t n) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return std::nullopt;
  z.next_in = const_cast<Bytef*>(p);
  z.avail_in = static_cast<uInt>(n);
  std::string out;
  char buffer[16384];
  int rc = Z_OK;
  while (rc == Z_OK && out.size() <= kMaxInflatedText) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - z.avail_out);
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END || out.size() > kMaxInflatedText) return std::nullopt;
  return out;
}

// One text chunk's payload -> (keyword, UTF-8 text); nullopt when malformed.
std::optional<std::pair<std::string, std::string>> decode_text_chunk(const char* type,
                                                                     const std::uint8_t* p,
                                                                     std::size_t n) {
  const auto* nul = static_cast<const std::uint8_t*>(std::memchr(p, 0, n));
  if (nul == nullptr || nul == p) return std::nullopt;
  std::string keyword = latin1_to_utf8(p, nul - p);
  const std::uint8_t* rest = nul + 1;
  std::size_t left = n - (rest - p);
  if (std::memcmp(type, "tEXt", 4) == 0) return {{keyword, latin1_to_utf8(rest, left)}};
  if (std::memcmp(type, "zTXt", 4) == 0) {
    if (left < 1 || rest[0] != 0) return std::nullopt;  // 0 = deflate, the only method
    auto text = inflate_text(rest + 1, left - 1);
    if (!text) return std::nullopt;
    return {{keyword,
             latin1_to_utf8(reinterpret_cast<const std::uint8_t*>(text->data()), text->size())}};
  }
  // iTXt: compression flag, method, language tag\0, translated keyword\0, UTF-8 text.
  if (left < 2) return std::nullopt;
  const bool compressed = rest[0] != 0;
  rest += 2;
  left -= 2;
  for (int skip = 0; skip < 2; ++skip) {
    const auto* end = static_cast<const std::uint8_t*>(std::memchr(rest, 0, left));
    if (end == nullptr) return std::nullopt;
    left -= end + 1 - rest;
    rest = end + 1;
  }
  if (!compressed) return {{keyword, std::string(reinterpret_cast<const char*>(rest), left)}};
  auto text = inflate_text(rest, left);
  if (!text) return std::nullopt;
  return {{keyword, *text}};
}

}  // namespace

bool is_png(const std::uint8_t* data, std::size_t size) {
  return size >= kSignatureSize && std::memcmp(data, "\x89PNG\r\n\x1a\n", kSignatureSize) == 0;
}

std::vector<std::uint8_t> insert_png_text(const std::vector<std::uint8_t>& png,
                                          const std::map<std::string, std::string>& text,
                                          const std::string& path) {
  // IHDR is always first and always 13 bytes; its chunk ends at 8 + 4 + 4 + 13 + 4.
  constexpr std::size_t kAfterIhdr = kSignatureSize + 25;
  if (!is_png(png.data(), png.size()) || png.size() < kAfterIhdr ||
      std::memcmp(png.data() + 12, "IHDR", 4) != 0)
    throw Error(ErrorKind::Backend, path + ": the PNG encoder produced no IHDR chunk");
  std::vector<std::uint8_t> out(png.begin(), png.begin() + kAfterIhdr);
  for (const auto& [keyword, value] : text) {
    if (!valid_keyword(keyword))
      throw Error(ErrorKind::InvalidInput,
                  path + ": PNG text keyword '" + keyword +
                      "' is not 1-79 printable ASCII characters without leading, trailing or "
                      "double spaces");
    const auto code_points = decode_utf8(value);
    if (!code_points)
      throw Error(ErrorKind::InvalidInput,
                  path + ": PNG text '" + keyword + "' is not valid UTF-8");
    if (value.find('\0') != std::string::npos)
      throw Error(ErrorKind::InvalidInput,
                  path + ": PNG text '" + keyword + "' contains a NUL byte");
    std::string latin1;
    bool fits_latin1 = true;
    for (char32_t cp : *code_points) {
      if (cp > 0xFF) {
        fits_latin1 = false;
        break;
      }
      latin1.push_back(static_cast<char>(cp));
    }
    if (fits_latin1) {
      append_chunk(out, "tEXt", keyword + '\0' + latin1);
    } else {
      // Uncompressed, no language tag, no translated keyword.
      append_chunk(out, "iTXt", keyword + std::string("\0\0\0\0\0", 5) + value);
    }
  }
  out.insert(out.end(), png.begin() + kAfterIhdr, png.end());
  return out;
}

std::map<std::string, std::string> parse_png_text(const std::uint8_t* d, std::size_t n) {
  std::map<std::string, std::string> out;
  if (!is_png(d, n)) return out;
  std::size_t pos = kSignatureSize;
  while (pos + 12 <= n) {
    const std::size_t len = be32(d + pos);
    if (len > n - pos - 12) break;  // truncated: keep what we have
    const char* type = reinterpret_cast<const char*>(d + pos + 4);
    if (std::memcmp(type, "IEND", 4) == 0) break;
    const std::uint8_t* data = d + pos + 8;
    const bool is_text = std::memcmp(type, "tEXt", 4) == 0 || std::memcmp(type, "zTXt", 4) == 0 ||
                         std::memcmp(type, "iTXt", 4) == 0;
    if (is_text && ::crc32(0, d + pos + 4, static_cast<uInt>(len + 4)) == be32(data + len)) {
      if (auto entry = decode_text_chunk(type, data, len))
        out[entry->first] = std::move(entry->second);
    }
    pos += 12 + len;
  }
  return out;
}

}  // namespace bd::io
