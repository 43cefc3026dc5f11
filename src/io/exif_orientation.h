#pragma once
// EXIF orientation: cameras store pixels as the sensor read them and record how to turn
// them upright. OpenCV's IMREAD_UNCHANGED ignores that tag, so we read and apply it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include <opencv2/core/mat.hpp>

namespace bd::io {

// The orientation (1..8) that the decoder leaves to us: JPEG APP1 "Exif", PNG eXIf or
// WebP EXIF chunk. 1 when absent, out of range or malformed, and for TIFF files, whose
// Orientation tag OpenCV applies itself.
int exif_orientation(const std::uint8_t* data, std::size_t size);

// The EXIF payload (a TIFF stream) of a JPEG (APP1 "Exif"), PNG (eXIf) or WebP (EXIF
// chunk); {nullptr, 0} when there is none.
std::pair<const std::uint8_t*, std::size_t> exif_tiff_stream(const std::uint8_t* data, std::size_t size);

struct TiffEntry {
  std::uint32_t type = 0;     // 1 BYTE, 2 ASCII, 3 SHORT, 4 LONG, 7 UNDEFINED, ...
  std::uint32_t count = 0;
  std::size_t value_at = 0;   // offset of the value in the stream, bounds-checked
  bool little = false;        // the stream's byte order
};

// The entry `tag` of the IFD at offset `ifd` (0: IFD0) of a TIFF stream; nullopt when
// absent or when the structure lies about its bounds.
std::optional<TiffEntry> tiff_entry(const std::uint8_t* data, std::size_t size, std::size_t ifd,
                                    std::uint16_t tag);

// A SHORT or LONG value of `tag` in IFD0 of a TIFF stream (EXIF payloads are TIFF
// streams); nullopt when absent or when the structure lies about its bounds.
std::optional<std::uint32_t> tiff_ifd0_value(const std::uint8_t* data, std::size_t size,
                                             std::uint16_t tag);

// Turns pixels stored with `orientation` into the upright picture (as viewers show it).
cv::Mat apply_exif_orientation(const cv::Mat& stored, int orientation);

}  // namespace bd::io
