// bd::Image -> QImage for display: every layout the engine returns comes out in a format
// the raster engine draws directly, with the same colours as the lossless conversion.
#include <QtTest/QtTest>

#include "image_convert.h"
#include "test_images.h"

class TestImageConvert : public QObject {
  Q_OBJECT

 private slots:
  void displayImageMatchesTheLosslessOne_data() {
    QTest::addColumn<int>("channels");
    QTest::addColumn<int>("depth");
    QTest::addColumn<int>("format");
    QTest::newRow("gray") << 1 << 8 << int(QImage::Format_RGB32);
    QTest::newRow("rgb") << 3 << 8 << int(QImage::Format_RGB32);
    QTest::newRow("rgba") << 4 << 8 << int(QImage::Format_ARGB32_Premultiplied);
    QTest::newRow("rgb 16-bit") << 3 << 16 << int(QImage::Format_RGB32);
    QTest::newRow("rgba 16-bit") << 4 << 16 << int(QImage::Format_ARGB32_Premultiplied);
  }
  void displayImageMatchesTheLosslessOne() {
    QFETCH(int, channels);
    QFETCH(int, depth);
    QFETCH(int, format);
    const bd::Image img = bd::test::pattern_image(7, 5, channels, depth);
    const QImage shown = bd::ui::toDisplayQImage(img);
    QCOMPARE(int(shown.format()), format);
    const QImage exact = bd::ui::toQImage(img).convertToFormat(QImage::Format_ARGB32);
    QCOMPARE(shown.size(), exact.size());
    const QImage shownPlain = shown.convertToFormat(QImage::Format_ARGB32);
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < img.width; ++x) {
        const QColor a = shownPlain.pixelColor(x, y), b = exact.pixelColor(x, y);
        // Premultiplying rounds: a transparent-ish pixel may come back a level off.
        const int tolerance = channels == 4 ? 255 / std::max(1, b.alpha()) + 1 : 0;
        QVERIFY2(std::abs(a.red() - b.red()) <= tolerance && std::abs(a.green() - b.green()) <= tolerance &&
                     std::abs(a.blue() - b.blue()) <= tolerance && a.alpha() == b.alpha(),
                 qPrintable(QString("pixel %1,%2: %3 vs %4").arg(x).arg(y).arg(a.name(QColor::HexArgb), b.name(QColor::HexArgb))));
      }
  }

  void emptyImageGivesNull() { QVERIFY(bd::ui::toDisplayQImage(bd::Image()).isNull()); }
};

QTEST_MAIN(TestImageConvert)
#include "test_image_convert.moc"
