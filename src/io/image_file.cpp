// bd::load_image / save_image / read_png_text on top of OpenCV's codecs, plus what they
// lack: EXIF orientation with IMREAD_UNCHANGED, PNG text chunks, size limits checked
// before decoding, errors that name the file, and atomic writes.
#include "io/image_file.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <new>
#include <optional>

#include "bd/error.h"
#include "io/atomic_file.h"
#include "io/exif_orientation.h"
#include "io/exif_text.h"
#include "io/png_text.h"

namespace bd {

namespace {

namespace fs = std::filesystem;

enum class Format { Unknown, Png, Jpeg, WebP, Tiff, Bmp };

const char* format_name(Format f) {
  switch (f) {
    case Format::Png:
      return "PNG";
    case Format::Jpeg:
      return "JPEG";
    case Format::WebP:
      return "WebP";
    case Format::Tiff:
      return "TIFF";
    case Format::Bmp:
      return "BMP";
    default:
      return "image";
  }
}

using Bytes = std::vector<std::uint8_t>;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(ErrorKind::InvalidInput, path + ": " + what);
}

// The whole file; an empty vector for a 0-byte file (callers decide what that means).
Bytes read_whole_file(const std::string& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) fail(path, "no such file");
  if (fs::is_directory(st)) fail(path, "is a directory, not an image file");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) fail(path, std::string("cannot open: ") + std::strerror(errno));
  // cv::imdecode takes an int-sized buffer; refuse before reading it all.
  constexpr std::uintmax_t kMaxFileBytes = std::numeric_limits<int>::max();
  const std::uintmax_t file_size = fs::file_size(path, ec);
  if (!ec && file_size > kMaxFileBytes) {
    std::fclose(f);
    fail(path, "file is " + std::to_string(file_size >> 20) + " MiB, more than the limit of " +
                   std::to_string(kMaxFileBytes >> 20) + " MiB");
  }
  Bytes bytes;
  if (!ec) bytes.reserve(file_size);
  std::uint8_t buffer[1 << 16];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0)
    bytes.insert(bytes.end(), buffer, buffer + n);
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (failed) fail(path, std::string("cannot read: ") + std::strerror(err));
  return bytes;
}

bool has_magic(const Bytes& b, std::size_t at, const char* magic, std::size_t n) {
  return b.size() >= at + n && std::memcmp(b.data() + at, magic, n) == 0;
}

Format sniff(const Bytes& b) {
  if (io::is_png(b.data(), b.size())) return Format::Png;
  if (has_magic(b, 0, "\xFF\xD8\xFF", 3)) return Format::Jpeg;
  if (has_magic(b, 0, "RIFF", 4) && has_magic(b, 8, "WEBP", 4)) return Format::WebP;
  if (has_magic(b, 0, "II*\0", 4) || has_magic(b, 0, "MM\0*", 4)) return Format::Tiff;
  if (has_magic(b, 0, "BM", 2) && b.size() >= 26) return Format::Bmp;
  return Format::Unknown;
}

Format format_from_extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (ext == ".png") return Format::Png;
  if (ext == ".jpg" || ext == ".jpeg") return Format::Jpeg;
  if (ext == ".webp") return Format::WebP;
  if (ext == ".tif" || ext == ".tiff") return Format::Tiff;
  if (ext == ".bmp") return Format::Bmp;
  return Format::Unknown;
}

std::uint32_t be16(const Bytes& b, std::size_t at) { return (b[at] << 8) | b[at + 1]; }
std::uint32_t le16(const Bytes& b, std::size_t at) { return b[at] | (b[at + 1] << 8); }
std::uint32_t le24(const Bytes& b, std::size_t at) { return le16(b, at) | (b[at + 2] << 16); }
std::uint32_t be32(const Bytes& b, std::size_t at) { return (be16(b, at) << 16) | be16(b, at + 2); }

struct Size {
  long long width, height;
};

// Image dimensions from the header alone, so absurd sizes are refused before OpenCV
// allocates; nullopt when the header is not understood (the decoder then decides).
std::optional<Size> header_size(Format f, const Bytes& b) {
  switch (f) {
    case Format::Png:
      if (b.size() >= 24) return Size{be32(b, 16), be32(b, 20)};
      break;
    case Format::Jpeg:
      for (std::size_t pos = 2; pos + 9 <= b.size();) {
        if (b[pos] != 0xFF) break;
        const std::uint8_t m = b[pos + 1];
        if (m == 0xFF) {
          ++pos;
          continue;
        }
        if (m == 0xD9 || m == 0xDA) break;
        // SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) do not.
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC)
          return Size{be16(b, pos + 7), be16(b, pos + 5)};
        pos += 2 + be16(b, pos + 2);
      }
      break;
    case Format::WebP:
      if (b.size() >= 30 && has_magic(b, 12, "VP8X", 4))
        return Size{le24(b, 24) + 1LL, le24(b, 27) + 1LL};
      if (b.size() >= 30 && has_magic(b, 12, "VP8 ", 4))
        return Size{le16(b, 26) & 0x3FFF, le16(b, 28) & 0x3FFF};
      if (b.size() >= 25 && has_magic(b, 12, "VP8L", 4)) {
        const std::uint32_t bits = le16(b, 21) | (le16(b, 23) << 16);
        return Size{(bits & 0x3FFF) + 1LL, ((bits >> 14) & 0x3FFF) + 1LL};
      }
      break;
    case Format::Tiff: {
      const auto w = io::tiff_ifd0_value(b.data(), b.size(), 256);
      const auto h = io::tiff_ifd0_value(b.data(), b.size(), 257);
      if (w && h) return Size{*w, *h};
      break;
    }
    case Format::Bmp: {
      const std::int32_t w = static_cast<std::int32_t>(le16(b, 18) | (le16(b, 20) << 16));
      const std::int32_t h = static_cast<std::int32_t>(le16(b, 22) | (le16(b, 24) << 16));
      if (le16(b, 14) >= 40)
        return Size{std::abs(static_cast<long long>(w)), std::abs(static_cast<long long>(h))};
      break;
    }
    default:
      break;
  }
  return std::nullopt;
}

void check_size(const std::string& path, Size s) {
  const std::string dims = std::to_string(s.width) + "x" + std::to_string(s.height);
  if (s.width > io::kMaxImageSide || s.height > io::kMaxImageSide)
    fail(path, "image is " + dims + ", larger than the limit of " +
                   std::to_string(io::kMaxImageSide) + " pixels per side");
  if (s.width * s.height > io::kMaxImagePixels)
    fail(path, "image is " + dims + ", more than the limit of " +
                   std::to_string(io::kMaxImagePixels) + " pixels");
}

// OpenCV's channel orders (BGR, BGRA, gray+alpha) -> ours (RGB, RGBA, gray).
cv::Mat to_rgb_order(const std::string& path, const cv::Mat& m) {
  cv::Mat out;
  switch (m.channels()) {
    case 1:
      return m;
    case 2: {  // gray + alpha: there is no 2-channel bd::Image, so spread gray to RGB
      cv::Mat planes[2];
      cv::split(m, planes);
      cv::merge(std::vector<cv::Mat>{planes[0], planes[0], planes[0], planes[1]}, out);
      return out;
    }
    case 3:
      cv::cvtColor(m, out, cv::COLOR_BGR2RGB);
      return out;
    case 4:
      cv::cvtColor(m, out, cv::COLOR_BGRA2RGBA);
      return out;
    default:
      fail(path, "images with " + std::to_string(m.channels()) + " channels are not supported");
  }
}

// What the target format can hold: depth and channels adapted, in OpenCV's BGR order.
cv::Mat for_encoder(Format f, const cv::Mat& rgb) {
  cv::Mat m = rgb;
  const bool keeps_16bit = f == Format::Png || f == Format::Tiff;
  if (m.depth() == CV_16U && !keeps_16bit) m.convertTo(m, CV_8U, 1.0 / 257.0);
  cv::Mat out;
  if (m.channels() == 1) {
    // WebP has no gray mode in OpenCV's encoder.
    if (f == Format::WebP)
      cv::cvtColor(m, out, cv::COLOR_GRAY2BGR);
    else
      out = m;
  } else if (m.channels() == 3) {
    cv::cvtColor(m, out, cv::COLOR_RGB2BGR);
  } else {
    // JPEG has no alpha, and OpenCV writes BMP alpha that it cannot read back.
    const bool keeps_alpha = f != Format::Jpeg && f != Format::Bmp;
    cv::cvtColor(m, out, keeps_alpha ? cv::COLOR_RGBA2BGRA : cv::COLOR_RGBA2BGR);
  }
  return out;
}

}  // namespace

Image load_image(const std::string& path) {
  const Bytes bytes = read_whole_file(path);
  if (bytes.empty()) fail(path, "the file is empty (0 bytes)");
  const Format format = sniff(bytes);
  if (format == Format::Unknown) fail(path, "not an image file (unrecognised format)");
  if (const auto size = header_size(format, bytes)) check_size(path, *size);

  const std::string what = std::string("cannot decode the ") + format_name(format) + " data";
  cv::Mat decoded;
  try {
    const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8U,
                         const_cast<std::uint8_t*>(bytes.data()));
    decoded = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    fail(path, what + ": " + e.err);
  } catch (const std::bad_alloc&) {
    throw Error(ErrorKind::OutOfMemory, path + ": out of memory while decoding");
  }
  if (decoded.empty()) fail(path, what + " (corrupt or truncated file)");
  check_size(path, {decoded.cols, decoded.rows});
  if (decoded.depth() != CV_8U && decoded.depth() != CV_16U)
    fail(path, "samples of type " + cv::typeToString(decoded.type()) +
                   " are not supported (save the image with 8 or 16 bits per channel)");

  const int orientation = io::exif_orientation(bytes.data(), bytes.size());
  return io::image_from_mat(io::apply_exif_orientation(to_rgb_order(path, decoded), orientation));
}

void save_image(const std::string& path, const Image& image,
                const std::map<std::string, std::string>& text, int jpeg_quality) {
  io::check_image(image, path);
  const Format format = format_from_extension(path);
  if (format == Format::Unknown)
    fail(path, "unsupported file extension '" + fs::path(path).extension().string() +
                   "' (use .png, .jpg, .jpeg, .webp, .tif, .tiff or .bmp)");
  if (jpeg_quality < 1 || jpeg_quality > 100)
    fail(path, "JPEG quality must be 1-100, not " + std::to_string(jpeg_quality));

  // WebP without a quality parameter is lossless; only JPEG takes the quality.
  std::vector<int> params;
  if (format == Format::Jpeg) params = {cv::IMWRITE_JPEG_QUALITY, jpeg_quality};
  const char* ext[] = {"", ".png", ".jpg", ".webp", ".tiff", ".bmp"};
  Bytes encoded;
  try {
    if (!cv::imencode(ext[static_cast<int>(format)], for_encoder(format, io::mat_view(image)),
                      encoded, params))
      encoded.clear();
  } catch (const cv::Exception& e) {
    throw Error(ErrorKind::Backend,
                path + ": encoding as " + format_name(format) + " failed: " + e.err);
  }
  if (encoded.empty())
    throw Error(ErrorKind::Backend, path + ": encoding as " + format_name(format) + " failed");
  if (format == Format::Png && !text.empty()) encoded = io::insert_png_text(encoded, text, path);
  // JPEG and WebP have no text chunks: "parameters" goes where other diffusion tools put it.
  const auto parameters = text.find("parameters");
  if (parameters != text.end() && (format == Format::Jpeg || format == Format::WebP)) {
    const auto exif = io::exif_with_user_comment(parameters->second);
    encoded = format == Format::Jpeg ? io::insert_jpeg_exif(encoded, exif, path)
                                     : io::insert_webp_exif(encoded, exif, image.width, image.height,
                                                            image.channels == 4, path);
  }

  io::AtomicFile file(path);
  file.write(encoded.data(), encoded.size());
  file.commit();
}

std::map<std::string, std::string> read_png_text(const std::string& path) {
  const Bytes bytes = read_whole_file(path);
  return io::parse_png_text(bytes.data(), bytes.size());
}

std::map<std::string, std::string> read_image_text(const std::string& path) {
  const Bytes bytes = read_whole_file(path);
  if (io::is_png(bytes.data(), bytes.size())) return io::parse_png_text(bytes.data(), bytes.size());
  if (auto comment = io::read_exif_user_comment(bytes.data(), bytes.size())) return {{"parameters", *comment}};
  return {};
}

}  // namespace bd
