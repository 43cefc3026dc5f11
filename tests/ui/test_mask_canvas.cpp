// MaskCanvas as a view of a Document: painting through its tools, stroke merging into
// one undo step, undo/redo, the overlay, results shown from the document, and the zoom
// maths between widget and image coordinates. The canvas keeps no document data of its
// own: what the document holds is what it shows, without being told.
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest/QtTest>

#include "document.h"
#include "mask_canvas.h"
#include "mask_ops.h"

using bd::ui::CandidateEntry;
using bd::ui::Document;
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

  std::unique_ptr<Document> m_doc;
  std::unique_ptr<MaskCanvas> m_canvas;

  // Shows `result` as the document's only candidate.
  void showCandidate(const QImage& result) {
    const int job = m_doc->beginJob(QStringLiteral("prompt"), {}, QStringLiteral("pack"));
    CandidateEntry c;
    c.image = result;
    m_doc->addCandidate(job, c);
    m_doc->setShownCandidate(0);
  }

  QColor onScreen(QPointF imagePoint) const {
    return m_canvas->grab().toImage().pixelColor(m_canvas->imageToWidget(imagePoint).toPoint());
  }

 private slots:
  void init() {
    m_doc = std::make_unique<Document>();
    m_canvas = std::make_unique<MaskCanvas>(m_doc.get());
    m_canvas->resize(400, 300);
    m_doc->setImage(testImage());
    m_canvas->setBrushHardness(1.0);
    m_canvas->setBrushRadius(5);
  }
  void cleanup() {
    m_canvas.reset();
    m_doc.reset();
  }

  void showsTheDocumentWithoutBeingTold() {
    m_canvas->setOverlayOpacity(0.0);
    QImage green(120, 90, QImage::Format_RGB888);
    green.fill(Qt::green);
    m_doc->setImage(green);  // a new document: the view fits it
    QVERIFY(m_canvas->isFitting());
    QCOMPARE(m_canvas->zoom(), (300.0 - 16) / 90);
    QCOMPARE(onScreen({60, 45}), QColor(Qt::green));
    QImage blue = green;
    blue.fill(Qt::blue);
    m_doc->replaceImage(blue, "Apply");
    QCOMPARE(onScreen({60, 45}), QColor(Qt::blue));
    QCOMPARE(m_canvas->shownImage(), blue);
    m_doc->undoStack()->undo();
    QCOMPARE(onScreen({60, 45}), QColor(Qt::green));
    // The mask too: an edit made on the document, not through this canvas, shows.
    m_canvas->setOverlayOpacity(1.0);
    m_canvas->setOverlayColor(Qt::red);
    m_doc->fillRect(QRect(0, 0, 30, 30));
    QCOMPARE(onScreen({10, 10}), QColor(Qt::red));
    QCOMPARE(onScreen({60, 45}), QColor(Qt::green));
  }

  void twoCanvasesShowOneDocument() {
    MaskCanvas other(m_doc.get());
    other.resize(200, 150);
    m_canvas->paintStroke({QPointF(40, 40), QPointF(120, 90)});
    other.setOverlayOpacity(1.0);
    other.setOverlayColor(Qt::red);
    const QImage screen = other.grab().toImage();
    QCOMPARE(screen.pixelColor(other.imageToWidget(QPointF(80, 65)).toPoint()), QColor(Qt::red));
    QCOMPARE(screen.pixelColor(other.imageToWidget(QPointF(180, 20)).toPoint()),
             QColor(40, 80, 120));
    // One document, one undo stack: the stroke is undone for both views.
    m_doc->undoStack()->undo();
    QCOMPARE(other.grab().toImage().pixelColor(other.imageToWidget(QPointF(80, 65)).toPoint()),
             QColor(40, 80, 120));
  }

  void showsTheScribbleLayer() {
    m_canvas->setOverlayOpacity(0.0);
    QImage scribble(200, 150, QImage::Format_RGBA8888);
    scribble.fill(Qt::transparent);
    for (int y = 20; y < 40; ++y)
      for (int x = 20; x < 40; ++x) scribble.setPixelColor(x, y, QColor(255, 255, 0));
    m_doc->setScribble(scribble, "Scribble");
    QCOMPARE(onScreen({30, 30}), QColor(255, 255, 0));
    QCOMPARE(onScreen({100, 100}), QColor(40, 80, 120));
    m_doc->undoStack()->undo();
    QCOMPARE(onScreen({30, 30}), QColor(40, 80, 120));
  }

  void newImageHasBlankMaskAtImageResolution() {
    QCOMPARE(m_doc->mask().size(), QSize(200, 150));
    QCOMPARE(m_doc->mask().format(), QImage::Format_Grayscale8);
    QVERIFY(bd::ui::maskIsEmpty(m_doc->mask()));
    QCOMPARE(m_doc->undoStack()->count(), 0);
  }

  void strokeIsOneUndoStep() {
    QVector<QPointF> points;
    for (int x = 20; x <= 180; x += 4) points << QPointF(x, 75);
    m_canvas->paintStroke(points);
    QCOMPARE(m_doc->undoStack()->count(), 1);
    const QImage painted = m_doc->mask();
    QCOMPARE(maskAt(painted, 100, 75), 255);
    QCOMPARE(maskAt(painted, 20, 75), 255);
    QCOMPARE(maskAt(painted, 100, 90), 0);
    m_doc->undoStack()->undo();
    QVERIFY(bd::ui::maskIsEmpty(m_doc->mask()));
    m_doc->undoStack()->redo();
    QCOMPARE(m_doc->mask(), painted);
  }

  void twoStrokesAreTwoSteps() {
    m_canvas->paintStroke({QPointF(30, 30), QPointF(60, 30)});
    const QImage first = m_doc->mask();
    m_canvas->paintStroke({QPointF(30, 100), QPointF(60, 100)});
    QCOMPARE(m_doc->undoStack()->count(), 2);
    m_doc->undoStack()->undo();
    QCOMPARE(m_doc->mask(), first);
  }

  void mouseDragIsOneUndoStep() {
    m_canvas->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_canvas.get()));
    const QPoint a = m_canvas->imageToWidget(QPointF(50, 50)).toPoint();
    QTest::mousePress(m_canvas.get(), Qt::LeftButton, {}, a);
    for (int i = 1; i <= 10; ++i) QTest::mouseMove(m_canvas.get(), a + QPoint(i * 8, i * 3));
    QTest::mouseRelease(m_canvas.get(), Qt::LeftButton, {}, a + QPoint(80, 30));
    QCOMPARE(m_doc->undoStack()->count(), 1);
    QVERIFY(countAtLeast(m_doc->mask(), 255) > 50);
    // Right button erases, and is its own step.
    QTest::mousePress(m_canvas.get(), Qt::RightButton, {}, a);
    QTest::mouseRelease(m_canvas.get(), Qt::RightButton, {}, a);
    QCOMPARE(m_doc->undoStack()->count(), 2);
    const QPointF img = m_canvas->widgetToImage(a);
    QCOMPARE(maskAt(m_doc->mask(), int(img.x()), int(img.y())), 0);
  }

  void eraserClearsUnderTheBrush() {
    m_doc->fillRect(QRect(0, 0, 200, 150));
    m_canvas->paintStroke({QPointF(100, 75)}, /*erase=*/true);
    QCOMPARE(maskAt(m_doc->mask(), 100, 75), 0);
    QCOMPARE(maskAt(m_doc->mask(), 10, 10), 255);
    QCOMPARE(m_doc->undoStack()->count(), 2);
  }

  void softBrushHasAGradedEdge() {
    m_canvas->setBrushHardness(0.0);
    m_canvas->setBrushRadius(20);
    m_canvas->paintStroke({QPointF(100.5, 75.5)});
    const QImage m = m_doc->mask();
    QVERIFY(maskAt(m, 100, 75) > 240);
    const int mid = maskAt(m, 110, 75);
    QVERIFY2(mid > 20 && mid < 235, qPrintable(QString::number(mid)));
    QCOMPARE(maskAt(m, 125, 75), 0);
  }

  void strokeDoesNotBuildUpOverItself() {
    m_canvas->setBrushHardness(0.0);
    m_canvas->setBrushRadius(20);
    m_canvas->paintStroke({QPointF(100.5, 75.5)});
    const int once = maskAt(m_doc->mask(), 110, 75);
    m_canvas->paintStroke({QPointF(100.5, 75.5), QPointF(100.5, 75.5), QPointF(100.5, 75.5)});
    QCOMPARE(maskAt(m_doc->mask(), 110, 75), once);
  }

  void invertClearFill() {
    m_doc->fillRect(QRect(10, 10, 20, 10));
    QCOMPARE(countAtLeast(m_doc->mask(), 255), 200);
    m_doc->invertMask();
    QCOMPARE(countAtLeast(m_doc->mask(), 255), 200 * 150 - 200);
    m_doc->clearMask();
    QVERIFY(bd::ui::maskIsEmpty(m_doc->mask()));
    QCOMPARE(m_doc->undoStack()->count(), 3);
    m_doc->undoStack()->undo();
    m_doc->undoStack()->undo();
    QCOMPARE(countAtLeast(m_doc->mask(), 255), 200);
  }

  void lassoFillsThePolygon() {
    // A right triangle with legs of 40 px: pixel centres inside number 40 * 39 / 2 + 40
    // give or take the hypotenuse's rounding, so check area and corners, not one count.
    m_doc->fillPolygon(QPolygonF{QPointF(20, 20), QPointF(60, 20), QPointF(20, 60)});
    QCOMPARE(m_doc->undoStack()->count(), 1);
    const int filled = countAtLeast(m_doc->mask(), 255);
    QVERIFY2(std::abs(filled - 800) <= 40, qPrintable(QString::number(filled)));
    QCOMPARE(maskAt(m_doc->mask(), 25, 25), 255);
    QCOMPARE(maskAt(m_doc->mask(), 55, 55), 0);  // beyond the hypotenuse
    // Erasing a lasso clears only inside it; a polygon without area is no undo step.
    m_doc->fillPolygon(QPolygonF{QPointF(20, 20), QPointF(30, 20), QPointF(20, 30)}, true);
    QCOMPARE(maskAt(m_doc->mask(), 22, 22), 0);
    QCOMPARE(maskAt(m_doc->mask(), 40, 25), 255);
    QCOMPARE(m_doc->undoStack()->count(), 2);
    m_doc->fillPolygon(QPolygonF{QPointF(80, 80), QPointF(120, 80), QPointF(100, 80)});
    QCOMPARE(m_doc->undoStack()->count(), 2);
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
    QVERIFY(bd::ui::maskIsEmpty(m_doc->mask()));  // nothing is filled until release
    QTest::mouseRelease(m_canvas.get(), Qt::LeftButton, {}, widget(QPointF(40, 43)));
    QCOMPARE(m_doc->undoStack()->count(), 1);
    QCOMPARE(maskAt(m_doc->mask(), 70, 70), 255);
    QCOMPARE(maskAt(m_doc->mask(), 30, 70), 0);
    QCOMPARE(maskAt(m_doc->mask(), 110, 70), 0);
    // The view is about 1.9x the image, so the corners land within a pixel or two.
    const int filled = countAtLeast(m_doc->mask(), 255);
    QVERIFY2(std::abs(filled - 60 * 60) <= 4 * 60, qPrintable(QString::number(filled)));
    // The right button erases with a lasso inside the filled square.
    QTest::mousePress(m_canvas.get(), Qt::RightButton, {}, widget(QPointF(60, 60)));
    QTest::mouseMove(m_canvas.get(), widget(QPointF(80, 60)));
    QTest::mouseMove(m_canvas.get(), widget(QPointF(80, 80)));
    QTest::mouseRelease(m_canvas.get(), Qt::RightButton, {}, widget(QPointF(60, 80)));
    QCOMPARE(m_doc->undoStack()->count(), 2);
    QCOMPARE(maskAt(m_doc->mask(), 70, 70), 0);
    QCOMPARE(maskAt(m_doc->mask(), 50, 50), 255);
    m_doc->undoStack()->undo();
    QCOMPARE(maskAt(m_doc->mask(), 70, 70), 255);
    m_doc->undoStack()->undo();
    QVERIFY(bd::ui::maskIsEmpty(m_doc->mask()));
  }

  void growAndShrinkAreEuclidean() {
    m_doc->fillRect(QRect(100, 75, 1, 1));
    m_doc->growMask(3);
    // Pixels within distance 3 of one pixel: the 29 lattice points of a radius-3 disc.
    QCOMPARE(countAtLeast(m_doc->mask(), 255), 29);
    m_doc->clearMask();
    m_doc->fillRect(QRect(50, 50, 40, 30));
    m_doc->growMask(-5);
    QCOMPARE(countAtLeast(m_doc->mask(), 255), 30 * 20);
    m_doc->undoStack()->undo();
    QCOMPARE(countAtLeast(m_doc->mask(), 255), 40 * 30);
  }

  void overlayOpacityAndVisibility() {
    m_doc->fillRect(QRect(0, 0, 100, 150));
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
    QCOMPARE(maskAt(m_doc->mask(), 37, 23), 255);
    QCOMPARE(maskAt(m_doc->mask(), 37 + 8, 23), 0);
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
    showCandidate(result);
    QCOMPARE(m_canvas->shownImage(), result);
    QCOMPARE(onScreen({100, 75}), QColor(Qt::yellow));
    QTest::keyPress(m_canvas.get(), Qt::Key_Backslash);
    QVERIFY(m_canvas->isComparingOriginal());
    QCOMPARE(m_canvas->shownImage(), m_doc->image());
    QTest::keyRelease(m_canvas.get(), Qt::Key_Backslash);
    QCOMPARE(m_canvas->shownImage(), result);
    // A result shown is no place to paint: the document's mask stays as it is.
    m_canvas->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_canvas.get()));
    QTest::mouseClick(m_canvas.get(), Qt::LeftButton, {},
                      m_canvas->imageToWidget(QPointF(50, 50)).toPoint());
    QVERIFY(bd::ui::maskIsEmpty(m_doc->mask()));
    // The document shows the image again: so does the canvas.
    m_doc->setShownCandidate(-1);
    QCOMPARE(m_canvas->shownImage(), m_doc->image());
    QCOMPARE(onScreen({100, 75}), QColor(40, 80, 120));
  }

  void previewPatchShowsOverTheBase() {
    QImage patch(30, 20, QImage::Format_RGB32);
    patch.fill(Qt::red);
    m_doc->setPreview(patch, QPoint(50, 60));
    QCOMPARE(m_canvas->displayOffset(), QPoint(50, 60));
    const QImage shown = m_canvas->shownImage();
    QCOMPARE(shown.size(), m_doc->image().size());
    QCOMPARE(shown.pixelColor(50, 60), QColor(Qt::red));
    QCOMPARE(shown.pixelColor(79, 79), QColor(Qt::red));
    QCOMPARE(shown.pixelColor(80, 60), QColor(40, 80, 120));
    QCOMPARE(shown.pixelColor(49, 60), QColor(40, 80, 120));
    // On screen too: the patch where it lies, the base around it.
    m_canvas->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_canvas.get()));
    const QImage screen = m_canvas->grab().toImage();
    QCOMPARE(screen.pixelColor(m_canvas->imageToWidget(QPointF(65, 70)).toPoint()),
             QColor(Qt::red));
    QCOMPARE(screen.pixelColor(m_canvas->imageToWidget(QPointF(20, 20)).toPoint()),
             QColor(40, 80, 120));
    // A patch reaching outside the image is refused; the shown one stays.
    m_doc->setPreview(patch, QPoint(190, 0));
    QCOMPARE(m_canvas->displayOffset(), QPoint(50, 60));
    m_doc->clearPreview();
    QCOMPARE(m_canvas->shownImage(), m_doc->image());
  }

  void replaceImageIsUndoableAndKeepsTheMask() {
    m_doc->fillRect(QRect(10, 10, 5, 5));
    const QImage original = m_doc->image();
    QImage edited = testImage();
    edited.fill(Qt::green);
    m_doc->replaceImage(edited, "Apply");
    QCOMPARE(m_doc->image(), edited);
    QCOMPARE(countAtLeast(m_doc->mask(), 255), 25);
    m_doc->undoStack()->undo();
    QCOMPARE(m_doc->image(), original);
    QCOMPARE(m_doc->image().cacheKey(), original.cacheKey());
  }

  void maskFileRoundTrip() {
    QTemporaryDir dir;
    m_canvas->paintStroke({QPointF(40, 40), QPointF(120, 90)});
    const QImage painted = m_doc->mask();
    const QString path = dir.filePath("mask.png");
    QString error;
    QVERIFY2(m_doc->saveMask(path, &error), qPrintable(error));
    m_doc->clearMask();
    QVERIFY2(m_doc->loadMask(path, &error), qPrintable(error));
    QCOMPARE(m_doc->mask(), painted);
    // A mask of another size is scaled to the image.
    QImage small(100, 75, QImage::Format_Grayscale8);
    small.fill(255);
    small.save(dir.filePath("small.png"));
    QVERIFY(m_doc->loadMask(dir.filePath("small.png"), &error));
    QCOMPARE(countAtLeast(m_doc->mask(), 255), 200 * 150);
    QVERIFY(!m_doc->loadMask(dir.filePath("missing.png"), &error));
    QVERIFY(error.contains("missing.png"));
  }
};

QTEST_MAIN(TestMaskCanvas)
#include "test_mask_canvas.moc"
