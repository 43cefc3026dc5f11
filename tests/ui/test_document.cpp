// Document: a new image resets the layers, the undo stack and the history; mask and
// scribble edits undo and redo through one snapshot command; the modified state follows
// the image; the job history only grows with each Generate; every change is signalled.
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest/QtTest>

#include "document.h"
#include "layer_commands.h"
#include "mask_ops.h"
#include "ui_test_support.h"

using bd::test::flatCandidate;
using bd::test::sceneImage;
using bd::ui::Document;
using bd::ui::JobRecord;
using bd::ui::Layer;

namespace {

QImage scribbleWithDot(QSize size, QPoint at) {
  QImage s(size, QImage::Format_RGBA8888);
  s.fill(Qt::transparent);
  s.setPixelColor(at, QColor(10, 200, 30, 255));
  return s;
}

int maskCount(const QImage& mask) {
  int n = 0;
  for (int y = 0; y < mask.height(); ++y)
    for (int x = 0; x < mask.width(); ++x) n += mask.constScanLine(y)[x] >= 128;
  return n;
}

}  // namespace

class TestDocument : public QObject {
  Q_OBJECT

 private slots:
  void setImageResetsTheDocument() {
    Document doc;
    QVERIFY(!doc.hasImage());
    doc.setImage(sceneImage(40, 30), "/tmp/a.png");
    doc.fillRect(QRect(2, 2, 5, 5));
    doc.setScribble(scribbleWithDot({40, 30}, {3, 3}), "Scribble");
    const int job = doc.beginJob("red", "Steps: 10", "toy");
    doc.addCandidate(job, flatCandidate(0.2, 1));
    doc.setShownCandidate(0);
    QVERIFY(doc.undoStack()->count() == 2);

    QSignalSpy image(&doc, &Document::imageChanged);
    QSignalSpy mask(&doc, &Document::maskChanged);
    QSignalSpy scribble(&doc, &Document::scribbleChanged);
    QSignalSpy shown(&doc, &Document::shownCandidateChanged);
    QSignalSpy path(&doc, &Document::sourcePathChanged);
    doc.setImage(sceneImage(64, 48), "/tmp/b.png");
    QCOMPARE(doc.image().size(), QSize(64, 48));
    QCOMPARE(doc.mask().size(), QSize(64, 48));
    QCOMPARE(doc.mask().format(), QImage::Format_Grayscale8);
    QVERIFY(bd::ui::maskIsEmpty(doc.mask()));
    QCOMPARE(doc.scribble().size(), QSize(64, 48));
    QCOMPARE(doc.scribble().format(), QImage::Format_RGBA8888);
    QVERIFY(doc.isScribbleEmpty());
    QCOMPARE(doc.scribble().pixelColor(3, 3).alpha(), 0);
    QCOMPARE(doc.undoStack()->count(), 0);
    QVERIFY(doc.jobs().isEmpty());  // candidates of another image do not apply to this one
    QCOMPARE(doc.currentJob(), -1);
    QCOMPARE(doc.shownCandidate(), -1);
    QCOMPARE(doc.sourcePath(), QStringLiteral("/tmp/b.png"));
    QVERIFY(!doc.isModified());
    QCOMPARE(image.count(), 1);
    QCOMPARE(mask.count(), 1);
    QCOMPARE(scribble.count(), 1);
    QCOMPARE(shown.count(), 1);
    QCOMPARE(path.count(), 1);
  }

  void maskSnapshotsUndoAndRedo() {
    Document doc;
    doc.setImage(sceneImage(40, 30));
    QSignalSpy mask(&doc, &Document::maskChanged);
    doc.fillRect(QRect(0, 0, 10, 10));
    doc.invertMask();
    QCOMPARE(maskCount(doc.mask()), 40 * 30 - 100);
    QCOMPARE(doc.undoStack()->count(), 2);
    QCOMPARE(mask.count(), 2);
    doc.undoStack()->undo();
    QCOMPARE(maskCount(doc.mask()), 100);
    doc.undoStack()->undo();
    QVERIFY(bd::ui::maskIsEmpty(doc.mask()));
    doc.undoStack()->redo();
    QCOMPARE(maskCount(doc.mask()), 100);
    QCOMPARE(mask.count(), 5);
    // A mask of another size is fitted to the image, nearest-neighbour.
    QImage small(4, 3, QImage::Format_Grayscale8);
    small.fill(255);
    doc.setMask(small, "Load mask");
    QCOMPARE(doc.mask().size(), QSize(40, 30));
    QCOMPARE(maskCount(doc.mask()), 40 * 30);
  }

  void scribbleSnapshotsUndoAndRedo() {
    Document doc;
    doc.setImage(sceneImage(40, 30));
    QSignalSpy scribble(&doc, &Document::scribbleChanged);
    doc.setScribble(scribbleWithDot({40, 30}, {7, 8}), "Scribble");
    QVERIFY(!doc.isScribbleEmpty());
    QCOMPARE(doc.scribble().pixelColor(7, 8), QColor(10, 200, 30, 255));
    doc.clearScribble();
    QVERIFY(doc.isScribbleEmpty());
    QCOMPARE(doc.undoStack()->count(), 2);
    doc.clearScribble();  // already empty: no undo step
    QCOMPARE(doc.undoStack()->count(), 2);
    doc.undoStack()->undo();
    QVERIFY(!doc.isScribbleEmpty());
    QCOMPARE(doc.scribble().pixelColor(7, 8), QColor(10, 200, 30, 255));
    doc.undoStack()->undo();
    QVERIFY(doc.isScribbleEmpty());
    doc.undoStack()->redo();
    QCOMPARE(doc.scribble().pixelColor(7, 8).alpha(), 255);
    QCOMPARE(scribble.count(), 5);
    // An RGB image of another size becomes an opaque RGBA layer of the image's size.
    doc.setScribble(sceneImage(20, 15), "Scribble");
    QCOMPARE(doc.scribble().size(), QSize(40, 30));
    QCOMPARE(doc.scribble().format(), QImage::Format_RGBA8888);
    // The mask is untouched by scribble edits.
    QVERIFY(bd::ui::maskIsEmpty(doc.mask()));
  }

  // Every coarse edit of any layer is one before/after snapshot of that layer alone.
  void oneSnapshotCommandForEveryLayer_data() {
    QTest::addColumn<int>("layer");
    QTest::newRow("image") << int(Layer::Image);
    QTest::newRow("mask") << int(Layer::Mask);
    QTest::newRow("scribble") << int(Layer::Scribble);
  }
  void oneSnapshotCommandForEveryLayer() {
    QFETCH(int, layer);
    const Layer which = Layer(layer);
    Document doc;
    doc.setImage(sceneImage(40, 30));
    const QImage before[] = {doc.image(), doc.mask(), doc.scribble()};
    QImage edited = sceneImage(40, 30);
    edited.fill(Qt::magenta);
    if (which == Layer::Image) doc.replaceImage(edited, "Apply");
    if (which == Layer::Mask) doc.invertMask();
    if (which == Layer::Scribble) doc.setScribble(edited, "Scribble");
    QCOMPARE(doc.undoStack()->count(), 1);
    const auto* command =
        dynamic_cast<const bd::ui::LayerSnapshotCommand*>(doc.undoStack()->command(0));
    QVERIFY(command);
    QVERIFY(command->layer() == which);
    for (const Layer other : {Layer::Image, Layer::Mask, Layer::Scribble})
      if (other != which) QCOMPARE(doc.layer(other), before[int(other)]);
    QVERIFY(doc.layer(which) != before[layer]);
    doc.undoStack()->undo();
    QCOMPARE(doc.layer(which), before[layer]);
  }

  void liveBrushPaintsInPlace() {
    Document doc;
    doc.setImage(sceneImage(60, 40));
    bd::ui::BrushShape brush;
    brush.radius = 4;
    brush.hardness = 1.0;
    QSignalSpy mask(&doc, &Document::maskChanged);
    const QRect changed = doc.paintMaskSegment(QPointF(10, 10), QPointF(30, 10), brush);
    QVERIFY(!changed.isEmpty());
    QCOMPARE(mask.count(), 1);
    QCOMPARE(mask.first().at(0).toRect(), changed);
    QVERIFY(maskCount(doc.mask()) > 50);
    // Live painting is not recorded by the document itself (the brush tool records it).
    QCOMPARE(doc.undoStack()->count(), 0);
  }

  // The coming scribble brush records its drags as the mask brush does: one merged
  // BrushStrokeCommand per drag, on the scribble layer.
  void scribbleStrokeIsOneUndoStep() {
    Document doc;
    doc.setImage(sceneImage(40, 30));
    const QImage start = doc.scribble();
    QImage dab(4, 4, QImage::Format_RGBA8888);
    dab.fill(QColor(0, 0, 255, 255));
    for (int i = 0; i < 3; ++i) {  // three mouse moves, painted live, then recorded
      const QRect rect(5 + 8 * i, 5, 4, 4);
      doc.writeLayerRect(Layer::Scribble, rect, dab);
      doc.undoStack()->push(
          new bd::ui::BrushStrokeCommand(&doc, Layer::Scribble, 1, start, rect, false));
    }
    static_cast<bd::ui::BrushStrokeCommand*>(const_cast<QUndoCommand*>(doc.undoStack()->command(0)))
        ->finish();
    QCOMPARE(doc.undoStack()->count(), 1);
    QVERIFY(!doc.isScribbleEmpty());
    const QImage painted = doc.scribble();
    doc.undoStack()->undo();
    QVERIFY(doc.isScribbleEmpty());
    QVERIFY(bd::ui::maskIsEmpty(doc.mask()));
    doc.undoStack()->redo();
    QCOMPARE(doc.scribble(), painted);
  }

  void modifiedFollowsTheImage() {
    Document doc;
    doc.setImage(sceneImage(40, 30), "/tmp/x.png");
    QSignalSpy modified(&doc, &Document::modifiedChanged);
    doc.fillRect(QRect(0, 0, 5, 5));  // a mask edit is not an unsaved image
    QVERIFY(!doc.isModified());
    QImage edited = sceneImage(40, 30);
    edited.fill(Qt::green);
    doc.replaceImage(edited, "Apply");
    QVERIFY(doc.isModified());
    QCOMPARE(maskCount(doc.mask()), 25);  // kept, so the next edit can chain
    doc.undoStack()->undo();
    QVERIFY(!doc.isModified());
    doc.undoStack()->redo();
    QVERIFY(doc.isModified());
    doc.markSaved();
    QVERIFY(!doc.isModified());
    doc.undoStack()->undo();  // back to the opened file, which is not what was saved
    QVERIFY(doc.isModified());
    QCOMPARE(modified.count(), 5);
    QCOMPARE(modified.last().at(0).toBool(), true);
    // An image of another size is not a candidate of this one.
    doc.replaceImage(sceneImage(10, 10), "Apply");
    QCOMPARE(doc.image().size(), QSize(40, 30));
  }

  void historyOnlyGrows() {
    Document doc;
    doc.setImage(sceneImage(40, 30));
    QSignalSpy history(&doc, &Document::historyChanged);
    QSignalSpy current(&doc, &Document::currentJobChanged);
    const int first = doc.beginJob("red", "Steps: 10", "toy");
    QCOMPARE(doc.addCandidate(first, flatCandidate(0.5, 1)), 0);
    QCOMPARE(doc.addCandidate(first, flatCandidate(0.2, 2)), 0);  // better: first
    QCOMPARE(doc.addCandidate(first, flatCandidate(0.5, 3)), 2);  // a tie keeps arrival order
    doc.finishJob(first, JobRecord::State::Done);
    const int second = doc.beginJob("blue", "Steps: 20", "toy");
    QCOMPARE(second, first + 1);
    QCOMPARE(doc.currentJob(), second);
    QVERIFY(doc.candidates().isEmpty());
    doc.addCandidate(second, flatCandidate(0.1, 9));
    doc.finishJob(second, JobRecord::State::Cancelled);

    QCOMPARE(doc.jobs().size(), 2);
    const JobRecord& j = doc.jobs()[first];
    QCOMPARE(j.prompt, QStringLiteral("red"));
    QCOMPARE(j.parameters, QStringLiteral("Steps: 10"));
    QCOMPARE(j.pack, QStringLiteral("toy"));
    QVERIFY(j.started.isValid());
    QVERIFY(j.state == JobRecord::State::Done);
    QCOMPARE(j.candidates.size(), 3);
    QCOMPARE(j.candidates[0].seed, quint64(2));
    QCOMPARE(j.candidates[1].seed, quint64(1));
    QCOMPARE(j.candidates[2].seed, quint64(3));
    QVERIFY(doc.jobs()[second].state == JobRecord::State::Cancelled);
    QCOMPARE(current.count(), 2);
    QCOMPARE(history.count(), 2 + 3 + 1 + 1 + 1);
    // An earlier job can be shown again.
    doc.setCurrentJob(first);
    QCOMPARE(doc.candidates().size(), 3);
    QCOMPARE(doc.addCandidate(7, flatCandidate(0.1, 1)), -1);
  }

  void shownCandidateFollowsItsRow() {
    Document doc;
    doc.setImage(sceneImage(40, 30));
    const int job = doc.beginJob("red", {}, "toy");
    doc.addCandidate(job, flatCandidate(0.5, 1));
    QSignalSpy shown(&doc, &Document::shownCandidateChanged);
    doc.setShownCandidate(0);
    QCOMPARE(shown.count(), 1);
    doc.addCandidate(job, flatCandidate(0.1, 2));  // above it: the shown one moves down
    QCOMPARE(doc.shownCandidate(), 1);
    QCOMPARE(doc.candidates()[doc.shownCandidate()].seed, quint64(1));
    QCOMPARE(shown.count(), 2);
    doc.addCandidate(job, flatCandidate(0.3, 3));
    QCOMPARE(doc.candidates()[doc.shownCandidate()].seed, quint64(1));
    doc.removeCandidate(job, 0);  // above it: moves up
    QCOMPARE(doc.candidates()[doc.shownCandidate()].seed, quint64(1));
    doc.removeCandidate(job, doc.shownCandidate());  // itself: its neighbour is shown
    QCOMPARE(doc.shownCandidate(), 0);
    QCOMPARE(doc.candidates()[0].seed, quint64(3));
    doc.removeCandidate(job, 0);
    QCOMPARE(doc.shownCandidate(), -1);
    doc.setShownCandidate(5);  // out of range: the image
    QCOMPARE(doc.shownCandidate(), -1);
    // Applying a result (a new base image) shows the image again.
    doc.addCandidate(job, flatCandidate(0.3, 4));
    doc.setShownCandidate(0);
    doc.replaceImage(doc.candidates()[0].image, "Apply");
    QCOMPARE(doc.shownCandidate(), -1);
  }

  void previewIsNotTheDocument() {
    Document doc;
    doc.setImage(sceneImage(40, 30));
    QSignalSpy preview(&doc, &Document::previewChanged);
    QImage patch(10, 8, QImage::Format_RGB32);
    patch.fill(Qt::red);
    doc.setPreview(patch, QPoint(5, 6));
    QCOMPARE(preview.last().at(0).toRect(), QRect(5, 6, 10, 8));
    doc.setPreview(patch, QPoint(20, 6));
    QCOMPARE(preview.last().at(0).toRect(), QRect(5, 6, 25, 8));  // old and new
    doc.setPreview(patch, QPoint(35, 0));                         // does not fit: ignored
    QCOMPARE(doc.previewOffset(), QPoint(20, 6));
    QCOMPARE(doc.undoStack()->count(), 0);
    QVERIFY(!doc.isModified());
    const int job = doc.beginJob("red", {}, "toy");
    QVERIFY(doc.preview().isNull());  // a new job starts without one
    doc.setPreview(patch, QPoint(0, 0));
    doc.finishJob(job, JobRecord::State::Done);
    QVERIFY(doc.preview().isNull());
  }

  void maskFilesRoundTrip() {
    QTemporaryDir dir;
    Document doc;
    QString error;
    QVERIFY(!doc.loadMask(dir.filePath("missing.png"), &error));
    QVERIFY(error.contains("missing.png"));
    doc.setImage(sceneImage(40, 30));
    doc.fillRect(QRect(3, 4, 10, 6));
    const QImage painted = doc.mask();
    const QString path = dir.filePath("mask.png");
    QVERIFY2(doc.saveMask(path, &error), qPrintable(error));
    doc.clearMask();
    QVERIFY2(doc.loadMask(path, &error), qPrintable(error));
    QCOMPARE(doc.mask(), painted);
    // A transparent PNG: the region is its alpha channel.
    QImage alpha(40, 30, QImage::Format_ARGB32);
    alpha.fill(Qt::transparent);
    for (int x = 0; x < 6; ++x) alpha.setPixelColor(x, 0, QColor(0, 0, 0, 255));
    QVERIFY(alpha.save(dir.filePath("alpha.png")));
    QVERIFY(doc.loadMask(dir.filePath("alpha.png"), &error));
    QCOMPARE(maskCount(doc.mask()), 6);
  }
};

QTEST_MAIN(TestDocument)
#include "test_document.moc"
