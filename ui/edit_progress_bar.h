#pragma once
// A progress bar that reads "Step 12 / 40 · 0:07 left".
#include <QProgressBar>

namespace bd::ui {

class EditProgressBar : public QProgressBar {
  Q_OBJECT

 public:
  explicit EditProgressBar(QWidget* parent = nullptr);

  void setProgress(int step, int total, double etaSeconds);
  void setMessage(const QString& message);  // idle or busy text without steps
  void reset();

  static QString formatDuration(double seconds);  // "0:07", "1:02:03"
};

}  // namespace bd::ui
