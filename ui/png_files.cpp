#include "png_files.h"

#include <QImageReader>
#include <QImageWriter>
#include <QSaveFile>

namespace bd::ui {

namespace {
// Qt's PNG quality q maps to zlib level (100 - q) * 9 / 91 (integer division): 90 is 0,
// which stores uncompressed, 80 is level 1.
constexpr int kPngQuality = 80;
}  // namespace

bool writePngAtomically(const QString& path, const QImage& image, QString* error) {
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly)) {
    if (error) *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
    return false;
  }
  QImageWriter writer(&file, "png");
  writer.setQuality(kPngQuality);
  if (!writer.write(image) || !file.commit()) {
    if (error)
      *error = QStringLiteral("cannot write %1: %2")
                   .arg(path, writer.error() != QImageWriter::UnknownError ? writer.errorString()
                                                                           : file.errorString());
    return false;
  }
  return true;
}

QImage readImageFile(const QString& path, QString* error) {
  QImageReader reader(path);
  QImage image = reader.read();
  if (image.isNull()) {
    if (error) *error = QStringLiteral("%1: %2").arg(path, reader.errorString());
    return {};
  }
  if (image.format() == QImage::Format_RGB32) return image.convertToFormat(QImage::Format_RGB888);
  if (image.format() == QImage::Format_ARGB32)
    return image.convertToFormat(QImage::Format_RGBA8888);
  return image;
}

}  // namespace bd::ui
