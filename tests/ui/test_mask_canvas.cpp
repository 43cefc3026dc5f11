// MaskCanvas: painting, stroke merging into one undo step, undo/redo, mask operations,
// the overlay, and the zoom maths between widget and image coordinates.
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest/QtTest>

#include "mask_canvas.h"
#include "mask_ops.h"

using bd::ui::MaskCanvas;

namespace {

QImage testImage(int w = 200, int h = 150) {
  QImage img(w, h, QImage::Format_RGB888);
  img.fill(QColor(40, 80, 120));
  return img;
}

int countAtLeast(const QImage& mask, int value) {
  int n = 0;
  for (int y = 0; y < mask.height(); ++y)
    for (int x = 0; x < mask.width(); ++x) n += mask.constScanLine(y)[x] >= value ? 1 : 0;
  return n;
}

int maskAt(const QImage& mask, int x, int y) { return mask.constScanLine(y)[x]; }

}  // namespace

class TestMaskCanvas : public QObject {
  Q_OBJECT

  std::unique_ptr<MaskCanvas> m_canvas;

 private slots:
  void init() {
    m_canvas = std::make_unique<MaskCanvas>();
    m_canvas->resize(400, 300);
    m_canvas->setImage(testImage());
    m_canvas->setBrushHardness(1.0);
    m_canvas->setBrushRadius(5);
  }
  void cleanup() { m_canvas.reset(); }

  void newImageHasBlankMaskAtImageResolution() {
    QCOMPARE(m_canvas->mask().size(), QSize(200, 150));
    QCOMPARE(m_canvas->mask().format(), QImage::Format_Grayscale8);
    QVERIFY(bd::ui::maskIsEmpty(m_canvas->mask()));
    QCOMPARE(m_canvas->undoStack()->count(), 0);
  }

  void strokeIsOneUndoStep() {
    QVector<QPointF> points;
    for (int x = 20; x <= 180; x += 4) points << QPointF(x, 75);
    m_canvas->paintStroke(points);
    QCOMPARE(m_canvas->undoStack()->count(), 1);
    const QImage painted = m_canvas->mask();
    QCOMPARE(maskAt(painted, 100, 75), 255);
    QCOMPARE(maskAt(painted, 20, 75), 255);
    QCOMPARE(maskAt(painted, 100, 90), 0);
    m_canvas->undoStack()->undo();
    QVERIFY(bd::ui::maskIsEmpty(m_canvas->mask()));
    m_canvas->undoStack()->redo();
    QCOMPARE(m_canvas->mask(), painted);
  }

  void twoStrokesAreTwoSteps() {
    m_canvas->paintStroke({QPointF(30, 30), QPointF(60, 30)});
    const QImage first = m_canvas->mask();
    m_canvas->paintStroke({QPointF(30, 100), QPointF(60, 100)});
    QCOMPARE(m_canvas->undoStack()->count(), 2);
    m_canvas->undoStack()->undo();
    QCOMPARE(m_canvas->mask(), first);
  }

  void mouseDragIsOneUndoStep() {
    m_canvas->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_canvas.get()));
    const QPoint a = m_canvas->imageToWidget(QPointF(50, 50)).toPoint();
    QTest::mousePress(m_canvas.get(), Qt::LeftButton, {}, a);
    for (int i = 1; i <= 10; ++i) QTest::mouseMove(m_canvas.get(), a + QPoint(i * 8, i * 3));
    QTest::mouseRelease(m_canvas.get(), Qt::LeftButton, {}, a + QPoint(80, 30));
    QCOMPARE(m_canvas->undoStack()->count(), 1);
    QVERIFY(countAtLeast(m_canvas->mask(), 255) > 50);
    // Right button erases, and is its own step.
    QTest::mousePress(m_canvas.get(), Qt::RightButton, {}, a);
    QTest::mouseRelease(m_canvas.get(), Qt::RightButton, {}, a);
    QCOMPARE(m_canvas->undoStack()->count(), 2);
    const QPointF img = m_canvas->widgetToImage(a);
    QCOMPARE(maskAt(m_canvas->mask(), int(img.x()), int(img.y())), 0);
  }

  void eraserClearsUnderTheBrush() {
    m_canvas->fillRect(QRect(0, 0, 200, 150));
    m_canvas->paintStroke({QPointF(100, 75)}, /*erase=*/true);
    QCOMPARE(maskAt(m_canvas->mask(), 100, 75), 0);
    QCOMPARE(maskAt(m_canvas->mask(), 10, 10), 255);
    QCOMPARE(m_canvas->undoStack()->count(), 2);
  }

  void softBrushHasAGradedEdge() {
    m_canvas->setBrushHardness(0.0);
    m_canvas->setBrushRadius(20);
    m_canvas->paintStroke({QPointF(100.5, 75.5)});
    const QImage m = m_canvas->mask();
    QVERIFY(maskAt(m, 100, 75) > 240);
    const int mid = maskAt(m, 110, 75);
    QVERIFY2(mid > 20 && mid < 235, qPrintable(QString::number(mid)));
    QCOMPARE(maskAt(m, 125, 75), 0);
  }

  void strokeDoesNotBuildUpOverItself() {
    m_canvas->setBrushHardness(0.0);
    m_canvas->setBrushRadius(20);
    m_canvas->paintStroke({QPointF(100.5, 75.5)});
    const int once = maskAt(m_canvas->mask(), 110, 75);
    m_canvas->paintStroke({QPointF(100.5, 75.5), QPointF(100.5, 75.5), QPointF(100.5, 75.5)});
    QCOMPARE(maskAt(m_canvas->mask(), 110, 75), once);
  }

  void invertClearFill() {
    m_canvas->fillRect(QRect(10, 10, 20, 10));
    QCOMPARE(countAtLeast(m_canvas->mask(), 255), 200);
    m_canvas->invertMask();
    QCOMPARE(countAtLeast(m_canvas->mask(), 255), 200 * 150 - 200);
    m_canvas->clearMask();
    QVERIFY(bd::ui::maskIsEmpty(m_canvas->mask()));
    QCOMPARE(m_canvas->undoStack()->count(), 3);
    m_canvas->undoStack()->undo();
    m_canvas->undoStack()->undo();
    QCOMPARE(countAtLeast(m_canvas->mask(), 255), 200);
  }

  void lassoFillsThePolygon() {
    // A right triangle with legs of 40 px: pixel centres inside number 40 * 39 / 2 + 40
    // give or take the hypotenuse's rounding, so check area and corners, not one count.
    m_canvas->fillPolygon(QPolygonF{QPointF(20, 20), QPointF(60, 20), QPointF(20, 60)});
    QCOMPARE(m_canvas->undoStack()->count(), 1);
    const int filled = countAtLeast(m_canvas->mask(), 255);
    QVERIFY2(std::abs(filled - 800) <= 40, qPrintable(QString::number(filled)));
    QCOMPARE(maskAt(m_canvas->mask(), 25, 25), 255);
    QCOMPARE(maskAt(m_canvas->mask(), 55, 55), 0);  // beyond the hypotenuse
    // Erasing a lasso clears only inside it; a polygon without area is no undo step.
    m_canvas->fillPolygon(QPolygonF{QPointF(20, 20), QPointF(30, 20), QPointF(20, 30)}, true);
    QCOMPARE(maskAt(m_canvas->mask(), 22, 22), 0);
    QCOMPARE(maskAt(m_canvas->mask(), 40, 25), 255);
    QCOMPARE(m_canvas->undoStack()->count(), 2);
    m_canvas->fillPolygon(QPolygonF{QPointF(80, 80), QPointF(120, 80), QPointF(100, 80)});
    QCOMPARE(m_canvas->undoStack()->count(), 2);
  }

  void lassoDragIsOneUndoStep() {
    m_canvas->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_canvas.get()));
    m_canvas->setTool(MaskCanvas::Tool::Lasso);
    // A square drawn as a drag of many small mouse moves around (40,40)-(100,100).
    QVector<QPointF> path;
    for (int i = 0; i <= 20; ++i) path << QPointF(40 + 3 * i, 40);
    for (int i = 1; i <= 20; ++i) path << QPointF(100, 40 + 3 * i);
    for (int i = 1; i <= 20; ++i) path << QPointF(100 - 3 * i, 100);
    for (int i = 1; i <= 19; ++i) path << QPointF(40, 100 - 3 * i);
    auto widget = [&](QPointF p) { return m_canvas->imageToWidget(p).toPoint(); };
    QTest::mousePress(m_canvas.get(), Qt::LeftButton, {}, widget(path.front()));
    for (int i = 1; i < path.size(); ++i) QTest::mouseMove(m_canvas.get(), widget(path[i]));
    QVERIFY(bd::ui::maskIsEmpty(m_canvas->mask()));  // nothing is filled until release
    QTest::mouseRelease(m_canvas.get(), Qt::LeftButton, {}, widget(QPointF(40, 43)));
    QCOMPARE(m_canvas->undoStack()->count(), 1);
    QCOMPARE(maskAt(m_canvas->mask(), 70, 70), 255);
    QCOMPARE(maskAt(m_canvas->mask(), 30, 70), 0);
    QCOMPARE(maskAt(m_canvas->mask(), 110, 70), 0);
    // The view is about 1.9x the image, so the corners land within a pixel or two.
    const int filled = countAtLeast(m_canvas->mask(), 255);
    QVERIFY2(std::abs(filled - 60 * 60) <= 4 * 60, qPrintable(QString::number(filled)));
    // The right button erases with a lasso inside the filled square.
    QTest::mousePress(m_canvas.get(), Qt::RightButton, {}, widget(QPointF(60, 60)));
    QTest::mouseMove(m_canvas.get(), widget(QPointF(80, 60)));
    QTest::mouseMove(m_canvas.get(), widget(QPointF(80, 80)));
    QTest::mouseRelease(m_canvas.get(), Qt::RightButton, {}, widget(QPointF(60, 80)));
    QCOMPARE(m_canvas->undoStack()->count(), 2);
    QCOMPARE(maskAt(m_canvas->mask(), 70, 70), 0);
    QCOMPARE(maskAt(m_canvas->mask(), 50, 50), 255);
    m_canvas->undoStack()->undo();
    QCOMPARE(maskAt(m_canvas->mask(), 70, 70), 255);
    m_canvas->undoStack()->undo();
    QVERIFY(bd::ui::maskIsEmpty(m_canvas->mask()));
  }

  void growAndShrinkAreEuclidean() {
    m_canvas->fillRect(QRect(100, 75, 1, 1));
    m_canvas->growMask(3);
    // Pixels within distance 3 of one pixel: the 29 lattice points of a radius-3 disc.
    QCOMPARE(countAtLeast(m_canvas->mask(), 255), 29);
    m_canvas->clearMask();
    m_canvas->fillRect(QRect(50, 50, 40, 30));
    m_canvas->growMask(-5);
    QCOMPARE(countAtLeast(m_canvas->mask(), 255), 30 * 20);
    m_canvas->undoStack()->undo();
    QCOMPARE(countAtLeast(m_canvas->mask(), 255), 40 * 30);
  }

  void overlayOpacityAndVisibility() {
    m_canvas->fillRect(QRect(0, 0, 100, 150));
    m_canvas->setOverlayColor(QColor(255, 0, 0));
    auto sample = [this](QPointF imagePoint) {
      return m_canvas->grab().toImage().pixelColor(m_canvas->imageToWidget(imagePoint).toPoint());
    };
    m_canvas->setOverlayOpacity(0.0);
    const QColor plain = sample({50, 75});
    QCOMPARE(plain, QColor(40, 80, 120));
    m_canvas->setOverlayOpacity(0.5);
    const QColor half = sample({50, 75});
    QVERIFY(qAbs(half.red() - (255 + 40) / 2) <= 2);
    QVERIFY(qAbs(half.blue() - 120 / 2) <= 2);
    QCOMPARE(sample({150, 75}), plain);  // unmasked half untouched
    m_canvas->setOverlayOpacity(1.0);
    QCOMPARE(sample({50, 75}), QColor(255, 0, 0));
    m_canvas->setMaskVisible(false);
    QCOMPARE(sample({50, 75}), plain);
  }

  void zoomRoundTrip_data() {
    QTest::addColumn<double>("zoom");
    QTest::addColumn<QPointF>("anchor");
    QTest::newRow("in") << 2.5 << QPointF(120, 80);
    QTest::newRow("out") << 0.3 << QPointF(10, 290);
    QTest::newRow("max") << 32.0 << QPointF(200, 150);
    QTest::newRow("tiny") << 0.021 << QPointF(0, 0);
  }
  void zoomRoundTrip() {
    QFETCH(double, zoom);
    QFETCH(QPointF, anchor);
    const QPointF underAnchor = m_canvas->widgetToImage(anchor);
    m_canvas->setZoom(zoom, anchor);
    QCOMPARE(m_canvas->zoom(), zoom);
    // The image point under the anchor stays there (wheel zoom around the cursor).
    const QPointF after = m_canvas->widgetToImage(anchor);
    QVERIFY(qAbs(after.x() - underAnchor.x()) < 1e-9 && qAbs(after.y() - underAnchor.y()) < 1e-9);
    for (const QPointF p : {QPointF(0, 0), QPointF(199.5, 149.5), QPointF(33.25, 101.75)}) {
      const QPointF back = m_canvas->widgetToImage(m_canvas->imageToWidget(p));
      QVERIFY(qAbs(back.x() - p.x()) < 1e-9 && qAbs(back.y() - p.y()) < 1e-9);
    }
  }

  void fitAndActualSize() {
    m_canvas->fitToWindow();
    QVERIFY(m_canvas->isFitting());
    // 200x150 in 400x300 with an 8 px margin: limited by height, (300-16)/150.
    QCOMPARE(m_canvas->zoom(), (300.0 - 16) / 150);
    const QPointF centre = m_canvas->imageToWidget(QPointF(100, 75));
    QCOMPARE(centre, QPointF(200, 150));
    m_canvas->actualSize();
    QCOMPARE(m_canvas->zoom(), 1.0);
    QCOMPARE(m_canvas->imageToWidget(QPointF(100, 75)), QPointF(200, 150));
    m_canvas->zoomIn();
    QCOMPARE(m_canvas->zoom(), 1.25);
  }

  void paintingFollowsTheZoom() {
    m_canvas->setZoom(4.0, QPointF(0, 0));
    m_canvas->panBy(QPointF(-100, -40));
    m_canvas->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_canvas.get()));
    const QPointF target(37, 23);
    const QPoint w = m_canvas->imageToWidget(target + QPointF(0.5, 0.5)).toPoint();
    QTest::mouseClick(m_canvas.get(), Qt::LeftButton, {}, w);
    QCOMPARE(maskAt(m_canvas->mask(), 37, 23), 255);
    QCOMPARE(maskAt(m_canvas->mask(), 37 + 8, 23), 0);
  }

  void brushSizeKeys() {
    m_canvas->setBrushRadius(10);
    QTest::keyClick(m_canvas.get(), Qt::Key_BracketRight);
    QCOMPARE(m_canvas->brushRadius(), 12.0);
    QTest::keyClick(m_canvas.get(), Qt::Key_BracketLeft);
    QTest::keyClick(m_canvas.get(), Qt::Key_BracketLeft);
    QCOMPARE(m_canvas->brushRadius(), 10.0 / 1.2);
  }

  void displayImageAndCompare() {
    QImage result = testImage();
    result.fill(Qt::yellow);
    m_canvas->setDisplayImage(result);
    QCOMPARE(m_canvas->shownImage(), result);
    QTest::keyPress(m_canvas.get(), Qt::Key_Backslash);
    QVERIFY(m_canvas->isComparingOriginal());
    QCOMPARE(m_canvas->shownImage(), m_canvas->image());
    QTest::keyRelease(m_canvas.get(), Qt::Key_Backslash);
    QCOMPARE(m_canvas->shownImage(), result);
    // A result shown is no place to paint: the document's mask stays as it is.
    m_canvas->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_canvas.get()));
    QTest::mouseClick(m_canvas.get(), Qt::LeftButton, {},
                      m_canvas->imageToWidget(QPointF(50, 50)).toPoint());
    QVERIFY(bd::ui::maskIsEmpty(m_canvas->mask()));
  }

  void previewPatchShowsOverTheBase() {
    QImage patch(30, 20, QImage::Format_RGB32);
    patch.fill(Qt::red);
    m_canvas->setDisplayPatch(patch, QPoint(50, 60));
    QCOMPARE(m_canvas->displayOffset(), QPoint(50, 60));
    const QImage shown = m_canvas->shownImage();
    QCOMPARE(shown.size(), m_canvas->image().size());
    QCOMPARE(shown.pixelColor(50, 60), QColor(Qt::red));
    QCOMPARE(shown.pixelColor(79, 79), QColor(Qt::red));
    QCOMPARE(shown.pixelColor(80, 60), QColor(40, 80, 120));
    QCOMPARE(shown.pixelColor(49, 60), QColor(40, 80, 120));
    // On screen too: the patch where it lies, the base around it.
    m_canvas->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_canvas.get()));
    const QImage screen = m_canvas->grab().toImage();
    QCOMPARE(screen.pixelColor(m_canvas->imageToWidget(QPointF(65, 70)).toPoint()), QColor(Qt::red));
    QCOMPARE(screen.pixelColor(m_canvas->imageToWidget(QPointF(20, 20)).toPoint()),
             QColor(40, 80, 120));
    // A patch reaching outside the image is refused; the shown one stays.
    m_canvas->setDisplayPatch(patch, QPoint(190, 0));
    QCOMPARE(m_canvas->displayOffset(), QPoint(50, 60));
    m_canvas->clearDisplayImage();
    QCOMPARE(m_canvas->shownImage(), m_canvas->image());
  }

  void replaceImageIsUndoableAndKeepsTheMask() {
    m_canvas->fillRect(QRect(10, 10, 5, 5));
    const QImage original = m_canvas->image();
    QImage edited = testImage();
    edited.fill(Qt::green);
    m_canvas->replaceImage(edited, "Apply");
    QCOMPARE(m_canvas->image(), edited);
    QCOMPARE(countAtLeast(m_canvas->mask(), 255), 25);
    m_canvas->undoStack()->undo();
    QCOMPARE(m_canvas->image(), original);
    QCOMPARE(m_canvas->image().cacheKey(), original.cacheKey());
  }

  void maskFileRoundTrip() {
    QTemporaryDir dir;
    m_canvas->paintStroke({QPointF(40, 40), QPointF(120, 90)});
    const QImage painted = m_canvas->mask();
    const QString path = dir.filePath("mask.png");
    QString error;
    QVERIFY2(m_canvas->saveMask(path, &error), qPrintable(error));
    m_canvas->clearMask();
    QVERIFY2(m_canvas->loadMask(path, &error), qPrintable(error));
    QCOMPARE(m_canvas->mask(), painted);
    // A mask of another size is scaled to the image.
    QImage small(100, 75, QImage::Format_Grayscale8);
    small.fill(255);
    small.save(dir.filePath("small.png"));
    QVERIFY(m_canvas->loadMask(dir.filePath("small.png"), &error));
    QCOMPARE(countAtLeast(m_canvas->mask(), 255), 200 * 150);
    QVERIFY(!m_canvas->loadMask(dir.filePath("missing.png"), &error));
    QVERIFY(error.contains("missing.png"));
  }
};

QTEST_MAIN(TestMaskCanvas)
#include "test_mask_canvas.moc"
