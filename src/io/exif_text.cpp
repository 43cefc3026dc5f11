#include "io/exif_text.h"

#include <algorithm>
#include <cstring>

#include "bd/error.h"
#include "core/unicode_text.h"
#include "io/exif_orientation.h"

namespace bd::io {

namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::uint16_t kExifIfdPointer = 0x8769;
constexpr std::uint16_t kUserComment = 0x9286;
constexpr char kUnicodePrefix[8] = {'U', 'N', 'I', 'C', 'O', 'D', 'E', '\0'};
constexpr char kAsciiPrefix[8] = {'A', 'S', 'C', 'I', 'I', '\0', '\0', '\0'};

void put_be16(Bytes& b, std::uint32_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put_be32(Bytes& b, std::uint32_t v) {
  put_be16(b, v >> 16);
  put_be16(b, v & 0xFFFF);
}
void put_le32(Bytes& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::string decode_utf16(const std::uint8_t* p, std::size_t n, bool little) {
  std::string out;
  const auto unit = [&](std::size_t i) -> char32_t {
    return little ? (p[i] | (p[i + 1] << 8)) : ((p[i] << 8) | p[i + 1]);
  };
  for (std::size_t i = 0; i + 1 < n; i += 2) {
    char32_t u = unit(i);
    if (u >= 0xD800 && u < 0xDC00 && i + 3 < n && unit(i + 2) >= 0xDC00 && unit(i + 2) < 0xE000) {
      u = 0x10000 + ((u - 0xD800) << 10) + (unit(i + 2) - 0xDC00);
      i += 2;
    } else if (u >= 0xD800 && u < 0xE000) {
      u = 0xFFFD;
    }
    core::append_utf8(out, u);
  }
  return out;
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(ErrorKind::InvalidInput, path + ": " + what);
}

std::uint32_t le32(const std::uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint32_t{p[3]} << 24); }

}  // namespace

std::vector<std::uint8_t> exif_with_user_comment(const std::string& utf8) {
  Bytes comment(kUnicodePrefix, kUnicodePrefix + 8);
  for (char32_t cp : core::utf8_to_utf32(utf8)) {
    if (cp >= 0x10000) {  // a surrogate pair
      put_be16(comment, 0xD800 + ((cp - 0x10000) >> 10));
      put_be16(comment, 0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
      put_be16(comment, cp);
    }
  }
  // Header, IFD0 at 8 with one entry (the Exif IFD pointer), the Exif IFD at 26 with one
  // entry (UserComment, UNDEFINED), its bytes at 44. Each IFD ends with a 0 "next" offset.
  constexpr std::uint32_t kExifIfd = 8 + 2 + 12 + 4, kData = kExifIfd + 2 + 12 + 4;
  Bytes t = {'M', 'M', 0, 42};
  put_be32(t, 8);
  put_be16(t, 1);
  put_be16(t, kExifIfdPointer);
  put_be16(t, 4);  // LONG
  put_be32(t, 1);
  put_be32(t, kExifIfd);
  put_be32(t, 0);
  put_be16(t, 1);
  put_be16(t, kUserComment);
  put_be16(t, 7);  // UNDEFINED
  put_be32(t, static_cast<std::uint32_t>(comment.size()));
  put_be32(t, kData);
  put_be32(t, 0);
  t.insert(t.end(), comment.begin(), comment.end());
  return t;
}

std::vector<std::uint8_t> insert_jpeg_exif(const Bytes& jpeg, const Bytes& exif, const std::string& path) {
  if (jpeg.size() < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) fail(path, "not a JPEG stream");
  const std::size_t segment_length = 2 + 6 + exif.size();
  if (segment_length > 0xFFFF)
    fail(path, "the parameters text is too long for a JPEG EXIF segment (" + std::to_string(exif.size()) +
                   " bytes, at most 65527)");
  Bytes out(jpeg.begin(), jpeg.begin() + 2);
  std::size_t pos = 2;
  // Keep JFIF's APP0 first (its rule), drop an existing Exif APP1, stop at anything else.
  while (pos + 4 <= jpeg.size() && jpeg[pos] == 0xFF) {
    const std::uint8_t marker = jpeg[pos + 1];
    const std::size_t len = (std::size_t{jpeg[pos + 2]} << 8) | jpeg[pos + 3];
    if (len < 2 || pos + 2 + len > jpeg.size()) fail(path, "malformed JPEG header segment");
    const bool app0 = marker == 0xE0;
    const bool exif_app1 = marker == 0xE1 && len >= 8 && std::memcmp(&jpeg[pos + 4], "Exif\0\0", 6) == 0;
    if (!app0 && !exif_app1) break;
    if (app0) out.insert(out.end(), jpeg.begin() + pos, jpeg.begin() + pos + 2 + len);
    pos += 2 + len;
  }
  out.push_back(0xFF);
  out.push_back(0xE1);
  out.push_back(static_cast<std::uint8_t>(segment_length >> 8));
  out.push_back(static_cast<std::uint8_t>(segment_length));
  out.insert(out.end(), {'E', 'x', 'i', 'f', 0, 0});
  out.insert(out.end(), exif.begin(), exif.end());
  out.insert(out.end(), jpeg.begin() + pos, jpeg.end());
  return out;
}

std::vector<std::uint8_t> insert_webp_exif(const Bytes& webp, const Bytes& exif, int width, int height,
                                           bool has_alpha, const std::string& path) {
  if (webp.size() < 20 || std::memcmp(webp.data(), "RIFF", 4) != 0 || std::memcmp(&webp[8], "WEBP", 4) != 0)
    fail(path, "not a WebP stream");
  if (width < 1 || height < 1 || width > (1 << 24) || height > (1 << 24)) fail(path, "bad WebP canvas size");
  struct Chunk {
    std::string type;
    Bytes data;
  };
  std::vector<Chunk> chunks;
  for (std::size_t pos = 12; pos + 8 <= webp.size();) {
    const std::size_t len = le32(&webp[pos + 4]);
    if (len > webp.size() - pos - 8) fail(path, "malformed WebP chunk");
    chunks.push_back({std::string(reinterpret_cast<const char*>(&webp[pos]), 4),
                      Bytes(webp.begin() + pos + 8, webp.begin() + pos + 8 + len)});
    pos += 8 + len + (len & 1);
  }
  if (chunks.empty()) fail(path, "WebP stream without chunks");
  constexpr std::uint8_t kAlphaFlag = 0x10, kExifFlag = 0x08;
  if (chunks.front().type != "VP8X") {
    Bytes vp8x(10, 0);
    vp8x[0] = has_alpha ? kAlphaFlag : 0;
    for (int i = 0; i < 3; ++i) {
      vp8x[4 + i] = static_cast<std::uint8_t>((width - 1) >> (8 * i));
      vp8x[7 + i] = static_cast<std::uint8_t>((height - 1) >> (8 * i));
    }
    chunks.insert(chunks.begin(), {"VP8X", vp8x});
  }
  if (chunks.front().data.size() < 10) fail(path, "malformed WebP VP8X chunk");
  chunks.front().data[0] |= kExifFlag;
  chunks.erase(std::remove_if(chunks.begin(), chunks.end(), [](const Chunk& c) { return c.type == "EXIF"; }),
               chunks.end());
  chunks.push_back({"EXIF", exif});  // EXIF comes after the image data (the container rule)

  Bytes out = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P'};
  for (const Chunk& c : chunks) {
    out.insert(out.end(), c.type.begin(), c.type.end());
    put_le32(out, static_cast<std::uint32_t>(c.data.size()));
    out.insert(out.end(), c.data.begin(), c.data.end());
    if (c.data.size() & 1) out.push_back(0);
  }
  const auto riff_size = static_cast<std::uint32_t>(out.size() - 8);
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<std::uint8_t>(riff_size >> (8 * i));
  return out;
}

std::optional<std::string> read_exif_user_comment(const std::uint8_t* data, std::size_t size) {
  const auto [tiff, n] = exif_tiff_stream(data, size);
  if (tiff == nullptr) return std::nullopt;
  const auto pointer = tiff_ifd0_value(tiff, n, kExifIfdPointer);
  if (!pointer || *pointer == 0) return std::nullopt;
  const auto e = tiff_entry(tiff, n, *pointer, kUserComment);
  if (!e || (e->type != 7 && e->type != 1 && e->type != 2) || e->count < 8) return std::nullopt;
  const std::uint8_t* p = tiff + e->value_at;
  const std::size_t len = e->count - 8;
  if (std::memcmp(p, kUnicodePrefix, 8) == 0) return decode_utf16(p + 8, len, e->little);
  // ASCII, JIS or undefined (eight zero bytes): the bytes after the prefix as they are.
  const bool known_prefix = std::memcmp(p, kAsciiPrefix, 8) == 0 || std::memcmp(p, "JIS\0\0\0\0\0", 8) == 0 ||
                            std::memcmp(p, "\0\0\0\0\0\0\0\0", 8) == 0;
  std::string text = known_prefix ? std::string(reinterpret_cast<const char*>(p + 8), len)
                                  : std::string(reinterpret_cast<const char*>(p), e->count);
  while (!text.empty() && text.back() == '\0') text.pop_back();
  return text;
}

}  // namespace bd::io
