#include "io/exif_orientation.h"

#include <cstring>

#include <opencv2/core.hpp>

namespace bd::io {

namespace {

constexpr std::uint16_t kOrientationTag = 0x0112;

bool starts_with(const std::uint8_t* data, std::size_t size, const char* magic, std::size_t n) {
  return size >= n && std::memcmp(data, magic, n) == 0;
}

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}
std::uint32_t le32(const std::uint8_t* p) {
  return (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[1]} << 8) |
         p[0];
}

struct TiffReader {
  const std::uint8_t* d;
  bool little;
  std::uint32_t u16(std::size_t at) const {
    return little ? (d[at] | (d[at + 1] << 8)) : ((d[at] << 8) | d[at + 1]);
  }
  std::uint32_t u32(std::size_t at) const { return little ? le32(d + at) : be32(d + at); }
};

struct Span {
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
};

// JPEG: the TIFF stream of the first APP1 segment that starts with "Exif\0\0".
Span jpeg_exif(const std::uint8_t* d, std::size_t n) {
  std::size_t pos = 2;  // after SOI
  while (pos + 4 <= n) {
    if (d[pos] != 0xFF) return {};
    const std::uint8_t marker = d[pos + 1];
    if (marker == 0xFF) {  // fill byte before a marker
      ++pos;
      continue;
    }
    if (marker == 0xD9 || marker == 0xDA) return {};  // EOI / start of scan: no more headers
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // markers without length
      pos += 2;
      continue;
    }
    const std::size_t len = (std::size_t{d[pos + 2]} << 8) | d[pos + 3];
    if (len < 2 || pos + 2 + len > n) return {};
    const std::uint8_t* payload = d + pos + 4;
    const std::size_t payload_size = len - 2;
    if (marker == 0xE1 && starts_with(payload, payload_size, "Exif\0\0", 6))
      return {payload + 6, payload_size - 6};
    pos += 2 + len;
  }
  return {};
}

// PNG: the eXIf chunk's data (a bare TIFF stream).
Span png_exif(const std::uint8_t* d, std::size_t n) {
  std::size_t pos = 8;
  while (pos + 12 <= n) {
    const std::size_t len = be32(d + pos);
    if (len > n - pos - 12) return {};
    const std::uint8_t* type = d + pos + 4;
    if (std::memcmp(type, "eXIf", 4) == 0) return {d + pos + 8, len};
    if (std::memcmp(type, "IEND", 4) == 0) return {};
    pos += 12 + len;
  }
  return {};
}

// WebP: the EXIF chunk; some writers keep the JPEG-style "Exif\0\0" prefix.
Span webp_exif(const std::uint8_t* d, std::size_t n) {
  std::size_t pos = 12;
  while (pos + 8 <= n) {
    const std::size_t len = le32(d + pos + 4);
    if (len > n - pos - 8) return {};
    const std::uint8_t* payload = d + pos + 8;
    if (std::memcmp(d + pos, "EXIF", 4) == 0) {
      if (starts_with(payload, len, "Exif\0\0", 6)) return {payload + 6, len - 6};
      return {payload, len};
    }
    pos += 8 + len + (len & 1);  // chunks are padded to even sizes
  }
  return {};
}

}  // namespace

std::optional<TiffEntry> tiff_entry(const std::uint8_t* d, std::size_t n, std::size_t ifd,
                                    std::uint16_t tag) {
  if (n < 8) return std::nullopt;
  bool little;
  if (std::memcmp(d, "II*\0", 4) == 0)
    little = true;
  else if (std::memcmp(d, "MM\0*", 4) == 0)
    little = false;
  else
    return std::nullopt;
  const TiffReader r{d, little};
  if (ifd == 0) ifd = r.u32(4);
  if (ifd > n - 2) return std::nullopt;
  const std::size_t count = r.u16(ifd);
  if (count > (n - ifd - 2) / 12) return std::nullopt;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t entry = ifd + 2 + 12 * i;
    if (r.u16(entry) != tag) continue;
    TiffEntry e{r.u16(entry + 2), r.u32(entry + 4), entry + 8, little};
    static constexpr std::size_t kTypeSize[] = {0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8};
    const std::size_t unit = e.type < 13 ? kTypeSize[e.type] : 0;
    if (unit == 0 || e.count > n / unit) return std::nullopt;
    const std::size_t bytes = unit * e.count;
    if (bytes > 4) e.value_at = r.u32(entry + 8);  // else the value sits in the field itself
    if (e.value_at > n || bytes > n - e.value_at) return std::nullopt;
    return e;
  }
  return std::nullopt;
}

std::optional<std::uint32_t> tiff_ifd0_value(const std::uint8_t* d, std::size_t n,
                                             std::uint16_t tag) {
  const auto e = tiff_entry(d, n, 0, tag);
  if (!e || e->count != 1) return std::nullopt;  // we only read single values
  const TiffReader r{d, e->little};
  if (e->type == 3) return r.u16(e->value_at);  // SHORT, left-justified in the field
  if (e->type == 4) return r.u32(e->value_at);  // LONG
  return std::nullopt;
}

std::pair<const std::uint8_t*, std::size_t> exif_tiff_stream(const std::uint8_t* d, std::size_t n) {
  Span tiff;
  if (starts_with(d, n, "\xFF\xD8", 2))
    tiff = jpeg_exif(d, n);
  else if (starts_with(d, n, "\x89PNG\r\n\x1a\n", 8))
    tiff = png_exif(d, n);
  else if (n >= 12 && starts_with(d, n, "RIFF", 4) && std::memcmp(d + 8, "WEBP", 4) == 0)
    tiff = webp_exif(d, n);
  return {tiff.data, tiff.size};
}

int exif_orientation(const std::uint8_t* d, std::size_t n) {
  // TIFF files are left alone (exif_tiff_stream finds nothing in them): OpenCV's TIFF
  // decoder already honours their Orientation tag, even with IMREAD_UNCHANGED (checked
  // with OpenCV 4.6, test_image_file).
  const auto [tiff, size] = exif_tiff_stream(d, n);
  if (tiff == nullptr) return 1;
  const auto value = tiff_ifd0_value(tiff, size, kOrientationTag);
  return value && *value >= 1 && *value <= 8 ? static_cast<int>(*value) : 1;
}

cv::Mat apply_exif_orientation(const cv::Mat& stored, int orientation) {
  // Same table as OpenCV's own ApplyExifOrientation (imgcodecs/src/loadsave.cpp).
  cv::Mat out;
  switch (orientation) {
    case 2:
      cv::flip(stored, out, 1);
      break;  // mirrored left-right
    case 3:
      cv::flip(stored, out, -1);
      break;  // rotated 180
    case 4:
      cv::flip(stored, out, 0);
      break;  // mirrored top-bottom
    case 5:
      cv::transpose(stored, out);
      break;
    case 6:  // stored rotated 90 counter-clockwise: turn clockwise
      cv::transpose(stored, out);
      cv::flip(out, out, 1);
      break;
    case 7:
      cv::transpose(stored, out);
      cv::flip(out, out, -1);
      break;
    case 8:  // stored rotated 90 clockwise: turn counter-clockwise
      cv::transpose(stored, out);
      cv::flip(out, out, 0);
      break;
    default:
      out = stored;
      break;
  }
  return out;
}

}  // namespace bd::io
