#include "image_convert.h"

#include <cstring>

namespace bd::ui {

namespace {

QImage::Format formatFor(int channels, int depth) {
  if (depth == 16) {
    switch (channels) {
      case 1:
        return QImage::Format_Grayscale16;
      case 3:
        return QImage::Format_RGBX64;  // Qt has no 16-bit RGB without a 4th channel
      case 4:
        return QImage::Format_RGBA64;
    }
  } else {
    switch (channels) {
      case 1:
        return QImage::Format_Grayscale8;
      case 3:
        return QImage::Format_RGB888;
      case 4:
        return QImage::Format_RGBA8888;
    }
  }
  return QImage::Format_Invalid;
}

}  // namespace

QImage toQImage(const bd::Image& image) {
  const QImage::Format format = formatFor(image.channels, image.depth);
  if (image.empty() || format == QImage::Format_Invalid) return {};
  QImage out(image.width, image.height, format);
  const int bytesPerSample = image.depth / 8;
  const std::size_t srcLine =
      static_cast<std::size_t>(image.width) * image.channels * bytesPerSample;
  for (int y = 0; y < image.height; ++y) {
    const std::uint8_t* src = image.data.data() + srcLine * y;
    uchar* dst = out.scanLine(y);
    if (format == QImage::Format_RGBX64) {
      const auto* s = reinterpret_cast<const quint16*>(src);
      auto* d = reinterpret_cast<quint16*>(dst);
      for (int x = 0; x < image.width; ++x) {
        d[4 * x + 0] = s[3 * x + 0];
        d[4 * x + 1] = s[3 * x + 1];
        d[4 * x + 2] = s[3 * x + 2];
        d[4 * x + 3] = 0xffff;
      }
    } else {
      std::memcpy(dst, src, srcLine);
    }
  }
  return out;
}

QImage toDisplayQImage(const bd::Image& image) {
  if (image.empty()) return {};
  if (image.depth != 8) {
    const QImage q = toQImage(image);
    return q.convertToFormat(q.hasAlphaChannel() ? QImage::Format_ARGB32_Premultiplied
                                                 : QImage::Format_RGB32);
  }
  const int c = image.channels;
  QImage out(image.width, image.height,
             c == 4 ? QImage::Format_ARGB32_Premultiplied : QImage::Format_RGB32);
  if (out.isNull()) return {};
  const std::size_t srcLine = static_cast<std::size_t>(image.width) * c;
  for (int y = 0; y < image.height; ++y) {
    const std::uint8_t* s = image.data.data() + srcLine * y;
    auto* d = reinterpret_cast<QRgb*>(out.scanLine(y));
    for (int x = 0; x < image.width; ++x, s += c) {
      if (c == 1)
        d[x] = qRgb(s[0], s[0], s[0]);
      else if (c == 3)
        d[x] = qRgb(s[0], s[1], s[2]);
      else
        d[x] = qPremultiply(qRgba(s[0], s[1], s[2], s[3]));
    }
  }
  return out;
}

bd::Image fromQImage(const QImage& input) {
  QImage image = input;
  int channels = 0, depth = 8;
  switch (image.format()) {
    case QImage::Format_Grayscale8:
      channels = 1;
      break;
    case QImage::Format_RGB888:
      channels = 3;
      break;
    case QImage::Format_RGBA8888:
      channels = 4;
      break;
    case QImage::Format_Grayscale16:
      channels = 1;
      depth = 16;
      break;
    case QImage::Format_RGBX64:
      channels = 3;
      depth = 16;
      break;
    case QImage::Format_RGBA64:
      channels = 4;
      depth = 16;
      break;
    default:
      if (image.hasAlphaChannel()) {
        image = image.convertToFormat(QImage::Format_RGBA8888);
        channels = 4;
      } else {
        image = image.convertToFormat(QImage::Format_RGB888);
        channels = 3;
      }
  }
  bd::Image out;
  if (image.isNull()) return out;
  out.width = image.width();
  out.height = image.height();
  out.channels = channels;
  out.depth = depth;
  const std::size_t line = static_cast<std::size_t>(out.width) * channels * depth / 8;
  out.data.resize(line * out.height);
  for (int y = 0; y < out.height; ++y) {
    const uchar* src = image.constScanLine(y);
    std::uint8_t* dst = out.data.data() + line * y;
    if (image.format() == QImage::Format_RGBX64) {
      const auto* s = reinterpret_cast<const quint16*>(src);
      auto* d = reinterpret_cast<quint16*>(dst);
      for (int x = 0; x < out.width; ++x)
        for (int c = 0; c < 3; ++c) d[3 * x + c] = s[4 * x + c];
    } else {
      std::memcpy(dst, src, line);
    }
  }
  return out;
}

bd::Image maskFromQImage(const QImage& mask) {
  const QImage gray = mask.format() == QImage::Format_Grayscale8
                          ? mask
                          : mask.convertToFormat(QImage::Format_Grayscale8);
  return fromQImage(gray);
}

}  // namespace bd::ui
