// Brush stroke cost per mouse move on a 4096x4096 image (aim: <= 8 ms), offscreen:
//   1. the stroke logic alone (paint the segment into the mask + merge the undo command),
//   2. a real mouse-move event plus the repaint of what it dirtied,
// at "fit" zoom and at 100 %. Prints mean, p95 and max per move. Then
//   3. one zoom step (wheel) with the full repaint it causes, from fit to 100 % and back,
//      on a photo-like image (noise), once the canvas's image pyramid is ready.
#include <QApplication>
#include <QElapsedTimer>
#include <QMouseEvent>
#include <QUndoStack>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "document.h"
#include "mask_canvas.h"

namespace {

struct Stats {
  double mean, p95, max;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  return {sum / v.size(), v[static_cast<std::size_t>(v.size() * 0.95)], v.back()};
}

void report(const char* what, const std::vector<double>& ms) {
  const Stats s = stats(ms);
  std::printf("%-44s mean %6.3f ms  p95 %6.3f ms  max %6.3f ms  (%zu moves)\n", what, s.mean, s.p95,
              s.max, ms.size());
}

QPointF path(int i, QPointF centre, double r) {
  const double a = i * 0.02;
  return centre + QPointF(std::cos(a) * r, std::sin(a * 1.3) * r);
}

}  // namespace

int main(int argc, char** argv) {
  qputenv("QT_QPA_PLATFORM",
          qgetenv("QT_QPA_PLATFORM").isEmpty() ? "offscreen" : qgetenv("QT_QPA_PLATFORM"));
  QApplication app(argc, argv);
  QImage image(4096, 4096, QImage::Format_RGB888);
  image.fill(QColor(90, 120, 150));
  bd::ui::Document document;
  bd::ui::MaskCanvas canvas(&document);
  canvas.resize(1280, 800);
  canvas.show();
  document.setImage(image);
  canvas.setBrushRadius(60);
  canvas.setBrushHardness(0.7);
  QApplication::processEvents();
  const int moves = 600;

  for (const bool fit : {true, false}) {
    if (fit)
      canvas.fitToWindow();
    else
      canvas.actualSize();
    QApplication::processEvents();
    const QPointF centre(2048, 2048);
    const double radius = fit ? 1500 : 300;  // image pixels: about the same widget distance
    // 1. Stroke logic alone.
    std::vector<double> ms;
    QElapsedTimer t;
    canvas.beginStroke(path(0, centre, radius), false);
    for (int i = 1; i <= moves; ++i) {
      t.start();
      canvas.continueStroke(path(i, centre, radius));
      ms.push_back(t.nsecsElapsed() / 1e6);
    }
    canvas.endStroke();
    report(fit ? "stroke logic, fit zoom" : "stroke logic, 100 %", ms);
    QApplication::processEvents();

    // 2. Mouse events through Qt plus the repaint each one causes: the dirty region only
    //    (what the app does: update(rect) then the next frame), then the whole widget.
    for (const bool full : {false, true}) {
      ms.clear();
      const QPointF start = canvas.imageToWidget(path(0, centre, radius));
      QMouseEvent press(QEvent::MouseButtonPress, start, start, Qt::LeftButton, Qt::LeftButton,
                        Qt::NoModifier);
      QApplication::sendEvent(&canvas, &press);
      QApplication::processEvents();
      for (int i = 1; i <= moves; ++i) {
        const QPointF w = canvas.imageToWidget(path(i, centre, radius));
        t.start();
        QMouseEvent move(QEvent::MouseMove, w, w, Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&canvas, &move);
        if (full)
          canvas.repaint();
        else
          QApplication::processEvents();  // the pending partial update is painted here
        ms.push_back(t.nsecsElapsed() / 1e6);
      }
      QMouseEvent release(QEvent::MouseButtonRelease, start, start, Qt::LeftButton, Qt::NoButton,
                          Qt::NoModifier);
      QApplication::sendEvent(&canvas, &release);
      QApplication::processEvents();
      const char* names[2][2] = {
          {"mouse move + dirty repaint, 100 %", "mouse move + full repaint, 100 %"},
          {"mouse move + dirty repaint, fit zoom", "mouse move + full repaint, fit zoom"}};
      report(names[fit][full], ms);
    }
  }
  std::printf("undo steps: %d (one per stroke)\n", document.undoStack()->count());

  QImage photo(4096, 4096, QImage::Format_RGB888);
  quint32 state = 1;
  for (int y = 0; y < photo.height(); ++y) {
    uchar* row = photo.scanLine(y);
    for (int x = 0; x < 3 * photo.width(); ++x)
      row[x] = (state = state * 1664525u + 1013904223u) >> 24;
  }
  QElapsedTimer ready;
  ready.start();
  document.setImage(photo);
  QApplication::processEvents();
  const double openMs = ready.nsecsElapsed() / 1e6;
  // The pyramid builds on a worker thread; give it time (the app stays usable meanwhile).
  while (ready.elapsed() < 3000) QApplication::processEvents(QEventLoop::AllEvents, 50);
  std::vector<double> zoomMs;
  QElapsedTimer t;
  for (int pass = 0; pass < 3; ++pass) {
    canvas.fitToWindow();
    canvas.repaint();
    while (canvas.zoom() < 1.0) {
      t.start();
      canvas.zoomIn();
      canvas.repaint();
      zoomMs.push_back(t.nsecsElapsed() / 1e6);
    }
    while (!canvas.isFitting() && canvas.zoom() > 0.15) {
      t.start();
      canvas.zoomOut();
      canvas.repaint();
      zoomMs.push_back(t.nsecsElapsed() / 1e6);
    }
  }
  std::printf("open 4096² photo until first paint: %.1f ms\n", openMs);
  report("zoom step + full repaint, 15 % .. 100 %", zoomMs);
  return 0;
}
