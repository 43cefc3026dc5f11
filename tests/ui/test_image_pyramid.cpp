// ImagePyramid: levels built off the GUI thread, the level a zoom picks, and that a
// downscaled draw averages (binary noise drawn at 1/8 comes out an even gray).
#include <QPainter>
#include <QSignalSpy>
#include <QtTest/QtTest>
#include <cmath>

#include "image_pyramid.h"

using bd::ui::ImagePyramid;

namespace {

// Each pixel black or white at random (fixed seed).
QImage binaryNoise(int w, int h) {
  QImage img(w, h, QImage::Format_RGB888);
  quint32 state = 12345;
  for (int y = 0; y < h; ++y) {
    uchar* row = img.scanLine(y);
    for (int x = 0; x < w; ++x) {
      state = state * 1664525u + 1013904223u;
      const uchar v = (state >> 31) ? 255 : 0;
      row[3 * x] = row[3 * x + 1] = row[3 * x + 2] = v;
    }
  }
  return img;
}

QImage checkerboard(int w, int h) {
  QImage img(w, h, QImage::Format_RGB888);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) img.setPixelColor(x, y, (x + y) % 2 ? Qt::white : Qt::black);
  return img;
}

// Mean and standard deviation of the gray levels of a picture.
std::pair<double, double> grayStats(const QImage& picture) {
  double sum = 0, sum2 = 0;
  const double n = double(picture.width()) * picture.height();
  for (int y = 0; y < picture.height(); ++y)
    for (int x = 0; x < picture.width(); ++x) {
      const double g = qGray(picture.pixel(x, y));
      sum += g;
      sum2 += g * g;
    }
  return {sum / n, std::sqrt(std::max(0.0, sum2 / n - (sum / n) * (sum / n)))};
}

QImage drawAt(const ImagePyramid& pyramid, double scale) {
  const QSize size(int(pyramid.image().width() * scale), int(pyramid.image().height() * scale));
  QImage picture(size, QImage::Format_RGB32);
  picture.fill(Qt::blue);
  QPainter p(&picture);
  pyramid.draw(p, QRectF(QPointF(0, 0), QSizeF(size)), QRectF(pyramid.image().rect()));
  return picture;
}

}  // namespace

class TestImagePyramid : public QObject {
  Q_OBJECT

 private slots:
  void levelsArriveAndAverage() {
    ImagePyramid pyramid;
    QSignalSpy ready(&pyramid, &ImagePyramid::levelsReady);
    pyramid.setImage(binaryNoise(1024, 512));
    QCOMPARE(pyramid.levelCount(), 1);  // nothing built on the caller's thread
    QVERIFY(ready.wait(10000));
    // 512, 256, 128 wide below the full image; none under 128 on the longer side.
    QCOMPARE(pyramid.levelCount(), 4);
    double levelScale = 0;
    QCOMPARE(pyramid.levelFor(0.3, &levelScale).width(), 512);  // smallest level >= 30 %
    QCOMPARE(levelScale, 0.5);
    QCOMPARE(pyramid.levelFor(0.125, &levelScale).width(), 128);
    QCOMPARE(pyramid.levelFor(0.01, &levelScale).width(), 128);  // the smallest there is
    QCOMPARE(pyramid.levelFor(0.8, &levelScale).width(), 1024);
    QCOMPARE(pyramid.levelFor(3.0, &levelScale).width(), 1024);

    // Each output pixel averages 64 source pixels: mid-gray with a spread of about
    // 128/8 = 16 levels (and no background left uncovered).
    const auto [mean, spread] = grayStats(drawAt(pyramid, 0.125));
    QVERIFY2(std::abs(mean - 127.5) < 8 && spread < 25,
             qPrintable(QString("mean %1, spread %2").arg(mean).arg(spread)));
  }

  void withoutLevelsDrawsTheImageItself() {
    ImagePyramid pyramid;
    QSignalSpy ready(&pyramid, &ImagePyramid::levelsReady);
    pyramid.setImage(binaryNoise(1024, 512), /*buildLevels=*/false);
    QVERIFY(!ready.wait(300));
    QCOMPARE(pyramid.levelCount(), 1);
    // Bilinear sampling of the image itself mixes at most 4 source pixels: a spread
    // near 64 levels, the shimmer the levels exist to avoid (this also shows that the
    // test above can fail).
    const auto [mean, spread] = grayStats(drawAt(pyramid, 0.125));
    QVERIFY2(spread > 40, qPrintable(QString("mean %1, spread %2").arg(mean).arg(spread)));
  }

  void aReplacedImageDropsItsUnfinishedLevels() {
    ImagePyramid pyramid;
    QSignalSpy ready(&pyramid, &ImagePyramid::levelsReady);
    pyramid.setImage(binaryNoise(2048, 2048));
    QImage small(64, 64, QImage::Format_RGB32);
    small.fill(Qt::green);
    pyramid.setImage(small);  // too small for levels
    QVERIFY(!ready.wait(3000));
    QCOMPARE(pyramid.levelCount(), 1);
    QCOMPARE(pyramid.image(), small);
  }

  void magnifiedDrawsKeepPixelsSquare() {
    ImagePyramid pyramid;
    pyramid.setImage(checkerboard(8, 8));
    QImage picture(80, 80, QImage::Format_RGB32);
    QPainter p(&picture);
    pyramid.draw(p, QRectF(0, 0, 80, 80), QRectF(0, 0, 8, 8));
    p.end();
    // Nearest neighbour: each image pixel is a 10x10 block of one colour.
    QCOMPARE(qGray(picture.pixel(1, 1)), 0);
    QCOMPARE(qGray(picture.pixel(8, 8)), 0);
    QCOMPARE(qGray(picture.pixel(11, 1)), 255);
    QCOMPARE(qGray(picture.pixel(18, 8)), 255);
  }
};

QTEST_MAIN(TestImagePyramid)
#include "test_image_pyramid.moc"
