// MainWindow, offscreen, without a model pack: opening every supported format, the
// export dialogs (never over the source without asking) and the question before
// quitting with an applied edit that was not exported. Modal dialogs are answered from
// a timer, as a user would click them.
#include <QApplication>
#include <QComboBox>
#include <QFileDialog>
#include <QLineEdit>
#include <QListView>
#include <QListWidget>
#include <QTreeWidget>
#include <QMessageBox>
#include <QPointer>
#include <QPushButton>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest/QtTest>
#include <functional>

#include "bd/image.h"
#include "candidate_gallery.h"
#include "candidate_model.h"
#include "document.h"
#include "edit_controller.h"
#include "image_convert.h"
#include "history_keeper.h"
#include "history_panel.h"
#include "history_store.h"
#include "main_window.h"
#include "mask_canvas.h"
#include "queue_button.h"
#include "ui_test_support.h"

using bd::gui::MainWindow;
using bd::test::sceneImage;

namespace {

using DialogAnswer = std::function<void(QWidget*)>;

// Answers the next modal dialogs in order, one answer each, as a user would click them,
// for as long as it lives. QMessageBox::exec and the static QFileDialog functions spin
// their own event loop, so only a timer reaches them; each answer runs from a fresh
// zero-timer, because a dialog it opens in turn (QFileDialog's "replace it?") would
// otherwise block the polling timer, which Qt never fires inside its own slot.
class DialogAnswers : public QObject {
 public:
  explicit DialogAnswers(QList<DialogAnswer> answers) : m_answers(std::move(answers)) {
    connect(&m_poll, &QTimer::timeout, this, &DialogAnswers::poll);
    m_poll.start(10);
  }
  int answered() const { return m_answered; }

 private:
  void poll() {
    QWidget* modal = QApplication::activeModalWidget();
    if (!modal || !modal->isVisible() || m_seen.contains(modal)) return;
    m_seen.append(modal);
    const DialogAnswer answer = m_answers[m_answered++];
    if (m_answered == m_answers.size()) m_poll.stop();
    QTimer::singleShot(0, this, [answer, target = QPointer<QWidget>(modal)] {
      if (target) answer(target);
    });
  }

  QList<DialogAnswer> m_answers;
  QList<QPointer<QWidget>> m_seen;
  int m_answered = 0;
  QTimer m_poll;
};

std::unique_ptr<DialogAnswers> answerDialogs(QList<DialogAnswer> answers) {
  return std::make_unique<DialogAnswers>(std::move(answers));
}

DialogAnswer click(QMessageBox::StandardButton which) {
  return [which](QWidget* w) {
    auto* box = qobject_cast<QMessageBox*>(w);
    QVERIFY2(box && box->button(which), qPrintable(w->metaObject()->className()));
    box->button(which)->click();
  };
}

DialogAnswer choose(const QString& path) {
  return [path](QWidget* w) {
    auto* dialog = qobject_cast<QFileDialog*>(w);
    QVERIFY2(dialog, qPrintable(w->metaObject()->className()));
    if (path.isEmpty()) return dialog->reject();
    // selectFile() leaves the name field alone while it has focus, as it has once shown.
    auto* name = dialog->findChild<QLineEdit*>(QStringLiteral("fileNameEdit"));
    QVERIFY(name);
    name->setText(path);
    static_cast<QDialog*>(dialog)->accept();  // QFileDialog::accept is protected
  };
}

QByteArray fileBytes(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

}  // namespace

class TestMainWindow : public QObject {
  Q_OBJECT

  QTemporaryDir m_tmp;
  std::unique_ptr<MainWindow> m_window;

  // An image opened from a file with one applied edit on top: unsaved work.
  QString openWithAppliedEdit() {
    const QString source = m_tmp.filePath("source.png");
    bd::save_image(source.toStdString(), bd::ui::fromQImage(sceneImage(48, 32)));
    if (!m_window->openImage(source)) return {};
    QImage edited = sceneImage(48, 32);
    edited.fill(Qt::green);
    m_window->document()->replaceImage(edited, QStringLiteral("Apply"));
    return source;
  }

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);  // never the user's settings
    // Nor the user's history and recovery files; a fresh folder for each run.
    qputenv("BLENDIFF_DATA_DIR", m_tmp.filePath("data").toLocal8Bit());
    QCoreApplication::setOrganizationName(QStringLiteral("BlendiffTests"));
    QCoreApplication::setApplicationName(QStringLiteral("test_main_window"));
    QCoreApplication::setAttribute(Qt::AA_DontUseNativeDialogs);
  }

  void init() {
    m_window = std::make_unique<MainWindow>(QStringLiteral("cpu"), 1);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
  }

  void cleanup() {
    m_window->setAskBeforeQuit(false);
    m_window.reset();
  }

  void opensEveryFormat_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<double>("tolerance");  // mean error: JPEG is lossy, the others exact
    QTest::newRow("png") << "scene.png" << 0.0;
    QTest::newRow("jpeg") << "scene.jpg" << 12.0;
    QTest::newRow("webp") << "scene.webp" << 0.0;
    QTest::newRow("tiff") << "scene.tiff" << 0.0;
    QTest::newRow("bmp") << "scene.bmp" << 0.0;
  }

  void opensEveryFormat() {
    QFETCH(QString, name);
    QFETCH(double, tolerance);
    const QImage scene = sceneImage(64, 40);
    const QString path = m_tmp.filePath(name);
    bd::save_image(path.toStdString(), bd::ui::fromQImage(scene));
    QVERIFY(m_window->openImage(path));
    const QImage opened = m_window->document()->image();
    QCOMPARE(opened.size(), scene.size());
    double error = 0;
    for (int y = 0; y < scene.height(); ++y)
      for (int x = 0; x < scene.width(); ++x) {
        const QColor a = opened.pixelColor(x, y), b = scene.pixelColor(x, y);
        error += std::abs(a.red() - b.red()) + std::abs(a.green() - b.green()) +
                 std::abs(a.blue() - b.blue());
      }
    error /= 3.0 * scene.width() * scene.height();
    QVERIFY2(error <= tolerance, qPrintable(QString::number(error)));
    QVERIFY(m_window->windowTitle().startsWith(name));
    QVERIFY(!m_window->document()->isModified());
  }

  void quitWithAnAppliedEditAsks() {
    m_window->setAskBeforeQuit(true);
    QVERIFY(!openWithAppliedEdit().isEmpty());
    QVERIFY(m_window->document()->isModified());
    QVERIFY(m_window->windowTitle().contains('*'));

    // Cancel: the window stays, and so does the edit.
    auto answered = answerDialogs({click(QMessageBox::Cancel)});
    QVERIFY(!m_window->close());
    QCOMPARE(answered->answered(), 1);
    QVERIFY(m_window->isVisible());
    QVERIFY(m_window->document()->isModified());

    // Save, then cancel the file dialog: still open.
    answered = answerDialogs({click(QMessageBox::Save), choose({})});
    QVERIFY(!m_window->close());
    QCOMPARE(answered->answered(), 2);
    QVERIFY(m_window->isVisible());

    // Save into a file: exported with the edit, and the window closes.
    const QString out = m_tmp.filePath("saved_on_quit.png");
    answered = answerDialogs({click(QMessageBox::Save), choose(out)});
    QVERIFY(m_window->close());
    QCOMPARE(answered->answered(), 2);
    QVERIFY(!m_window->isVisible());
    QCOMPARE(bd::ui::toQImage(bd::load_image(out.toStdString())).pixelColor(5, 5),
             QColor(Qt::green));
    QVERIFY(!m_window->document()->isModified());
  }

  void quitDiscardingAnAppliedEdit() {
    m_window->setAskBeforeQuit(true);
    const QString source = openWithAppliedEdit();
    QVERIFY(!source.isEmpty());
    const QByteArray before = fileBytes(source);
    auto answered = answerDialogs({click(QMessageBox::Discard)});
    QVERIFY(m_window->close());
    QCOMPARE(answered->answered(), 1);
    QCOMPARE(fileBytes(source), before);  // discarding writes nothing
  }

  void quitWithoutChangesDoesNotAsk() {
    m_window->setAskBeforeQuit(true);
    QVERIFY(!openWithAppliedEdit().isEmpty());
    m_window->document()->undoStack()->undo();  // back to the file as opened
    QVERIFY(!m_window->document()->isModified());
    auto answered = answerDialogs({click(QMessageBox::Cancel)});  // only if it wrongly asks
    QVERIFY(m_window->close());
    QCOMPARE(answered->answered(), 0);
  }

  void exportOverTheSourceAsksFirst() {
    const QString source = openWithAppliedEdit();
    QVERIFY(!source.isEmpty());
    const QByteArray original = fileBytes(source);

    // The file dialog's own "replace it?" comes first, then ours about the original.
    auto answered =
        answerDialogs({choose(source), click(QMessageBox::Yes), click(QMessageBox::Cancel)});
    m_window->exportDialog();
    QCOMPARE(answered->answered(), 3);
    QCOMPARE(fileBytes(source), original);
    QVERIFY(m_window->document()->isModified());

    answered = answerDialogs({choose(source), click(QMessageBox::Yes), click(QMessageBox::Yes)});
    m_window->exportDialog();
    QCOMPARE(answered->answered(), 3);
    QVERIFY(fileBytes(source) != original);
    QCOMPARE(bd::ui::toQImage(bd::load_image(source.toStdString())).pixelColor(5, 5),
             QColor(Qt::green));
    QVERIFY(!m_window->document()->isModified());
  }

  // The gallery and the canvas observe one document: a candidate picked in the gallery is
  // the document's shown candidate and the canvas shows it; a second job fills the
  // gallery while the first stays in the document, a click away in the job list.
  void galleryFollowsTheDocument() {
    bd::ui::Document* doc = m_window->document();
    doc->setImage(sceneImage(48, 32));
    auto result = [](QColor colour, double score, quint64 seed) {
      return bd::test::flatCandidate(score, seed, {48, 32}, colour);
    };
    const int first = doc->beginJob("first", "Steps: 5", "toy");
    doc->addCandidate(first, result(Qt::red, 0.3, 1));
    doc->addCandidate(first, result(Qt::green, 0.1, 2));
    doc->finishJob(first, bd::ui::JobRecord::State::Done);
    bd::ui::CandidateGallery* gallery = m_window->gallery();
    QListView* view = gallery->view();
    QCOMPARE(view->model()->rowCount(), 2);
    QVERIFY(gallery->jobList()->isHidden());  // one job: nothing to choose from

    view->setCurrentIndex(view->model()->index(1, 0));  // as a click would
    QCOMPARE(doc->shownCandidate(), 1);
    QCOMPARE(m_window->canvas()->shownImage().pixelColor(5, 5), QColor(Qt::red));
    doc->setShownCandidate(0);  // and the other way round
    QCOMPARE(gallery->currentRow(), 0);
    QCOMPARE(m_window->canvas()->shownImage().pixelColor(5, 5), QColor(Qt::green));

    // Discarding the shown candidate shows its neighbour, in the gallery and the canvas.
    doc->addCandidate(first, result(Qt::blue, 0.2, 3));  // rows: green, blue, red
    doc->setShownCandidate(1);
    emit gallery->discardRequested(1);
    QCOMPARE(doc->candidates().size(), 2);
    QCOMPARE(doc->shownCandidate(), 0);
    QCOMPARE(gallery->currentRow(), 0);
    QCOMPARE(m_window->canvas()->shownImage().pixelColor(5, 5), QColor(Qt::green));

    const int second = doc->beginJob("second", "Steps: 5", "toy");
    doc->addCandidate(second, result(Qt::yellow, 0.2, 4));
    QCOMPARE(view->model()->rowCount(), 1);
    QCOMPARE(gallery->currentRow(), -1);
    QCOMPARE(m_window->canvas()->shownImage(), doc->image());
    QVERIFY(!gallery->jobList()->isHidden());
    QCOMPARE(gallery->jobList()->count(), 2);
    QCOMPARE(doc->jobs()[first].candidates.size(), 2);
    gallery->jobList()->setCurrentIndex(0);
    emit gallery->jobList()->activated(0);
    QCOMPARE(doc->currentJob(), first);
    QCOMPARE(view->model()->rowCount(), 2);

    // Apply: the candidate becomes the image (one undo step); the gallery lets go of it.
    doc->setShownCandidate(1);
    emit gallery->applyRequested(1);
    QCOMPARE(doc->image().pixelColor(5, 5), QColor(Qt::red));
    QCOMPARE(gallery->currentRow(), -1);
    QVERIFY(doc->isModified());
    QVERIFY(m_window->windowTitle().contains('*'));
  }

  // Any candidate of any job, from the History panel: shown on the canvas, applied as one
  // undo step (and marked so), exported with its parameters.
  void historyPanelWorksOnAnyJob() {
    bd::ui::Document* doc = m_window->document();
    doc->setImage(sceneImage(48, 32));
    const int first = doc->beginJob("first", "Steps: 5", "toy");
    doc->addCandidate(first, bd::test::flatCandidate(0.2, 1, {48, 32}, Qt::red));
    doc->finishJob(first, bd::ui::JobRecord::State::Done);
    const int second = doc->beginJob("second", "Steps: 5", "toy");
    doc->addCandidate(second, bd::test::flatCandidate(0.1, 2, {48, 32}, Qt::blue));
    doc->finishJob(second, bd::ui::JobRecord::State::Done);
    bd::ui::HistoryPanel* panel = m_window->historyPanel();
    QCOMPARE(panel->tree()->topLevelItemCount(), 2);

    panel->tree()->setCurrentItem(panel->tree()->topLevelItem(1)->child(0));  // the older job
    QCOMPARE(doc->currentJob(), first);
    QCOMPARE(doc->shownCandidate(), 0);
    QCOMPARE(m_window->canvas()->shownImage().pixelColor(5, 5), QColor(Qt::red));
    QCOMPARE(m_window->gallery()->currentRow(), 0);

    const int steps = doc->undoStack()->count();
    emit panel->applyRequested(first, 0);
    QCOMPARE(doc->image().pixelColor(5, 5), QColor(Qt::red));
    QCOMPARE(doc->undoStack()->count(), steps + 1);
    QVERIFY(doc->jobs()[first].candidates[0].applied);
    doc->undoStack()->undo();
    QCOMPARE(doc->image(), sceneImage(48, 32));

    const QString out = m_tmp.filePath("from_history.png");
    QFile::remove(out);
    auto answered = answerDialogs({choose(out)});
    emit panel->exportRequested(second, 0);
    QCOMPARE(answered->answered(), 1);
    QCOMPARE(QImage(out).pixelColor(5, 5), QColor(Qt::blue));
    QVERIFY(doc->jobs()[second].candidates[0].exported);
    QCOMPARE(doc->unkeptCandidateCount(), 0);
  }

  // Quitting with candidates nobody exported or applied says so, once, with Quit and
  // Cancel; they are in the history store by the time it asks.
  void quitWithUnkeptCandidatesSaysTheyStay() {
    m_window->setAskBeforeQuit(true);
    const QString source = m_tmp.filePath("unkept.png");
    QVERIFY(sceneImage(40, 30).save(source));
    QVERIFY(m_window->openImage(source));
    bd::ui::Document* doc = m_window->document();
    const int job = doc->beginJob("kept for later", "Steps: 5", "toy");
    doc->addCandidate(job, bd::test::flatCandidate(0.2, 1, {40, 30}));
    doc->addCandidate(job, bd::test::flatCandidate(0.3, 2, {40, 30}));
    doc->finishJob(job, bd::ui::JobRecord::State::Done);

    auto answered = answerDialogs({click(QMessageBox::Cancel)});
    QVERIFY(!m_window->close());
    QCOMPARE(answered->answered(), 1);
    QVERIFY(m_window->isVisible());

    QString text;
    answered = answerDialogs({[&text](QWidget* w) {
      auto* box = qobject_cast<QMessageBox*>(w);
      QVERIFY(box);
      text = box->text() + ' ' + box->informativeText();
      for (QAbstractButton* b : box->buttons())
        if (b->text() == QLatin1String("Quit")) return b->click();
      QFAIL("no Quit button");
    }});
    QVERIFY(m_window->close());
    QCOMPARE(answered->answered(), 1);
    QVERIFY2(text.contains("2 candidate(s)") && text.contains("History"), qPrintable(text));
    bd::ui::HistoryStore store(QString::fromLocal8Bit(qgetenv("BLENDIFF_DATA_DIR")));
    const auto loaded = store.load(bd::ui::HistoryStore::fileKey(source));
    QCOMPARE(loaded.jobs.size(), 1);
    QCOMPARE(loaded.jobs[0].candidates.size(), 2);
  }

  void queueIndicatorListsAndCancels() {
    bd::ui::QueueButton* queue = m_window->queueButton();
    QVERIFY(queue->isHidden());  // nothing waits
    queue->setJobs({{7, "a green ball", "Steps: 5"}, {9, "a yellow ball", "Steps: 5"}});
    QVERIFY(!queue->isHidden());
    QCOMPARE(queue->text(), QStringLiteral("Queued: 2"));
    queue->showList();
    QVERIFY(queue->popup()->isVisible());
    QCOMPARE(queue->list()->count(), 2);
    QVERIFY(queue->list()->item(1)->text().contains("yellow"));
    QCOMPARE(queue->list()->item(1)->toolTip(), QStringLiteral("Steps: 5"));
    QSignalSpy cancel(queue, &bd::ui::QueueButton::cancelRequested);
    queue->list()->setCurrentRow(1);
    for (QPushButton* b : queue->popup()->findChildren<QPushButton*>())
      if (b->text() == QLatin1String("Cancel job")) b->click();
    QCOMPARE(cancel.count(), 1);
    QCOMPARE(cancel.first().at(0).value<quint64>(), quint64(9));
    queue->setJobs({});
    QVERIFY(queue->isHidden());
    QVERIFY(!queue->popup()->isVisible());
  }

  void exportsJpegAndWebP_data() {
    QTest::addColumn<QString>("name");
    QTest::newRow("png") << "export.png";
    QTest::newRow("jpeg") << "export.jpg";
    QTest::newRow("webp") << "export.webp";
  }

  void exportsJpegAndWebP() {
    QFETCH(QString, name);
    QVERIFY(!openWithAppliedEdit().isEmpty());
    const QString out = m_tmp.filePath(name);
    QFile::remove(out);
    auto answered = answerDialogs({choose(out)});
    m_window->exportDialog();
    QCOMPARE(answered->answered(), 1);
    const QImage written = bd::ui::toQImage(bd::load_image(out.toStdString()));
    QCOMPARE(written.size(), QSize(48, 32));
    QVERIFY(!m_window->document()->isModified());
    // No temporary file is left beside it.
    QCOMPARE(QDir(m_tmp.path()).entryList({name + "*"}, QDir::Files), QStringList{name});
  }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
