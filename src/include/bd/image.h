#pragma once
// The engine's image value type: plain pixels, no Qt, no OpenCV, no torch, so it can
// cross threads and library boundaries (GUI <-> worker) by value.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bd {

struct Image {
  int width = 0;
  int height = 0;
  int channels = 0;  // 1 gray, 3 RGB, 4 RGBA (always RGB order, never BGR)
  int depth = 8;     // bits per channel: 8 or 16
  // Row-major, channels interleaved, no padding. 16-bit samples are native-endian
  // uint16 (2 bytes each), so data.size() == width * height * channels * depth / 8.
  std::vector<std::uint8_t> data;

  bool empty() const { return width == 0 || height == 0; }
  std::size_t bytes_per_pixel() const { return static_cast<std::size_t>(channels) * depth / 8; }
};

// Reads PNG, JPEG, WebP, TIFF, BMP. EXIF orientation is applied, so the pixels are as
// the user sees them in a viewer. Keeps 16-bit depth, gray and alpha as stored (CMYK
// is converted to RGB). Throws bd::Error(InvalidInput) naming the file and the reason.
Image load_image(const std::string& path);

// Writes by extension (.png, .jpg/.jpeg, .webp, .tif/.tiff, .bmp), atomically (temporary
// file + rename). PNG gets one tEXt chunk per entry of `text` (e.g. "parameters"); JPEG
// and WebP get text["parameters"] as EXIF UserComment (other keys have no place there).
// Throws bd::Error(InvalidInput) naming the path.
void save_image(const std::string& path, const Image& image,
                const std::map<std::string, std::string>& text = {}, int jpeg_quality = 95);

// Reads the tEXt chunks of a PNG file ({} for other formats).
std::map<std::string, std::string> read_png_text(const std::string& path);

// The text save_image embeds: a PNG's text chunks, or {"parameters": UserComment} of a
// JPEG's or WebP's EXIF; {} when there is none.
std::map<std::string, std::string> read_image_text(const std::string& path);

}  // namespace bd

namespace bd {

// Nearest-neighbour resize (for masks: keeps them binary). Throws on empty input.
Image resize_nearest(const Image& image, int width, int height);

}  // namespace bd
