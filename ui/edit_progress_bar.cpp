#include "edit_progress_bar.h"

#include <cmath>

namespace bd::ui {

EditProgressBar::EditProgressBar(QWidget* parent) : QProgressBar(parent) {
  setTextVisible(true);
  setAlignment(Qt::AlignCenter);
  reset();
}

QString EditProgressBar::formatDuration(double seconds) {
  const long s = std::max(0L, std::lround(seconds));
  if (s >= 3600)
    return QStringLiteral("%1:%2:%3")
        .arg(s / 3600)
        .arg((s / 60) % 60, 2, 10, QLatin1Char('0'))
        .arg(s % 60, 2, 10, QLatin1Char('0'));
  return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

void EditProgressBar::setProgress(int step, int total, double etaSeconds) {
  setRange(0, std::max(1, total));
  setValue(std::clamp(step, 0, std::max(1, total)));
  setFormat(tr("Step %1 / %2 · %3 left").arg(step).arg(total).arg(formatDuration(etaSeconds)));
}

void EditProgressBar::setMessage(const QString& message) {
  setFormat(message);
  update();
}

void EditProgressBar::reset() {
  setRange(0, 1);
  setValue(0);
  setFormat(tr("Ready"));
}

}  // namespace bd::ui
