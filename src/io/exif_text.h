#pragma once
// The "parameters" text of JPEG and WebP exports, where other diffusion tools keep it
// (AUTOMATIC1111, read by most galleries): EXIF UserComment, UNICODE (UTF-16BE) in a
// big-endian TIFF stream, as piexif writes it. OpenCV's encoders write no EXIF, so the
// segment is spliced into their output, like png_text does for PNG.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bd::io {

// A TIFF stream (the EXIF payload) holding only IFD0 -> Exif IFD -> UserComment.
std::vector<std::uint8_t> exif_with_user_comment(const std::string& utf8);

// `jpeg` with an APP1 "Exif" segment after SOI (and after JFIF's APP0 when present); any
// APP1 Exif segment already there is replaced. Throws bd::Error(InvalidInput) naming `path`
// when the text does not fit one segment (64 KiB) or `jpeg` is not a JPEG stream.
std::vector<std::uint8_t> insert_jpeg_exif(const std::vector<std::uint8_t>& jpeg,
                                           const std::vector<std::uint8_t>& exif, const std::string& path);

// `webp` turned into the extended format (VP8X) with the EXIF flag and an EXIF chunk; any
// EXIF chunk already there is replaced. Throws bd::Error(InvalidInput) naming `path` when
// `webp` is not a WebP stream.
std::vector<std::uint8_t> insert_webp_exif(const std::vector<std::uint8_t>& webp,
                                           const std::vector<std::uint8_t>& exif, int width, int height,
                                           bool has_alpha, const std::string& path);

// The UserComment of a JPEG's or WebP's EXIF, decoded to UTF-8 (UNICODE in the stream's
// byte order, ASCII, or undefined bytes as they are); nullopt when absent or malformed.
std::optional<std::string> read_exif_user_comment(const std::uint8_t* data, std::size_t size);

}  // namespace bd::io
