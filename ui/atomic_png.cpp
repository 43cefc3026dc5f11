#include "atomic_png.h"

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

}  // namespace bd::ui
