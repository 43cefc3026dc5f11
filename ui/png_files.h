#pragma once
// The PNG files of the history store and the autosave. Writing is atomic (QSaveFile: a
// temporary beside the file, renamed over it on commit), so readers see the old file or
// the complete new one, with fast compression (zlib level 1): these are written often and
// read rarely. Reading gives the formats the engine hands over for 8-bit images
// (RGB888, RGBA8888), so a restored image behaves as a fresh one.
#include <QImage>
#include <QString>

namespace bd::ui {

bool writePngAtomically(const QString& path, const QImage& image, QString* error = nullptr);
// A null image when it cannot be read; `error` says why.
QImage readImageFile(const QString& path, QString* error = nullptr);

}  // namespace bd::ui
