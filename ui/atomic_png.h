#pragma once
// Writes a PNG so that readers see the old file or the complete new one (QSaveFile:
// a temporary beside it, renamed over it on commit). Fast compression (zlib level 1):
// the history and the autosave write often and read rarely.
#include <QImage>
#include <QString>

namespace bd::ui {

bool writePngAtomically(const QString& path, const QImage& image, QString* error = nullptr);

}  // namespace bd::ui
