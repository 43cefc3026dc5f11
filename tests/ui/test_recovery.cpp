// Crash recovery with a real crash: the `blendiff` executable runs offscreen on an image
// with a mask and a scribble (--script autosave), its data folder pointed at a temporary
// one; once it reports an autosave it is killed (SIGKILL: no clean exit, no destructor).
// A window started afterwards on that data folder finds the snapshot and offers it;
// "Restore" brings back the image, mask and scribbles exactly, "Discard" removes them, and
// a clean exit leaves nothing to offer. Autosave's own rules are tested in-process.
#include <QApplication>
#include <QDir>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>
#include <QUndoStack>
#include <QtTest/QtTest>

#include "document.h"
#include "history_keeper.h"
#include "main_window.h"
#include "recovery_store.h"
#include "ui_test_support.h"

using bd::gui::MainWindow;
using bd::test::sceneImage;
using bd::ui::RecoveryStore;

namespace {

// Clicks the button with `text` of the next message box, from a timer (exec() blocks).
void answerNextBox(const QString& text, int* asked) {
  auto* poll = new QTimer;
  QObject::connect(poll, &QTimer::timeout, [poll, text, asked] {
    auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
    if (!box) return;
    poll->stop();
    poll->deleteLater();
    ++*asked;
    for (QAbstractButton* b : box->buttons())
      if (b->text().remove('&') == text) return b->click();
    box->reject();
  });
  poll->start(10);
}

QImage redBarScribble(QSize s) {  // what --script autosave paints
  QImage scribble(s, QImage::Format_RGBA8888);
  scribble.fill(Qt::transparent);
  for (int y = s.height() / 2 - 2; y < s.height() / 2 + 3; ++y)
    for (int x = s.width() / 8; x < s.width() / 8 + s.width() * 3 / 4; ++x)
      scribble.setPixelColor(x, y, QColor(230, 30, 30));
  return scribble;
}

}  // namespace

class TestRecovery : public QObject {
  Q_OBJECT

  QTemporaryDir m_tmp;
  QString m_image;
  QString m_mask;

  QString freshDataDir(const QString& name) {
    const QString dir = m_tmp.filePath(name);
    QDir(dir).removeRecursively();
    QDir().mkpath(dir);
    qputenv("BLENDIFF_DATA_DIR", dir.toLocal8Bit());
    return dir;
  }

  // Starts the editor on the image and mask; returns once it has autosaved.
  bool startEditor(QProcess* process, const QString& dataDir) {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("BLENDIFF_DATA_DIR", dataDir);
    env.insert("QT_QPA_PLATFORM", "offscreen");
    process->setProcessEnvironment(env);
    process->setProcessChannelMode(QProcess::MergedChannels);
    process->start(BLENDIFF_APP, {"--script", "autosave", "--threads", "1", "--pack",
                                  m_tmp.filePath("no-pack"), m_image, "--mask", m_mask});
    QByteArray output;
    const bool saved = QTest::qWaitFor(
        [&] {
          output += process->readAll();
          return output.contains("autosaved") || process->state() == QProcess::NotRunning;
        },
        120'000);
    if (!saved || !output.contains("autosaved")) {
      qWarning("blendiff did not autosave: %s", output.constData());
      return false;
    }
    return true;
  }

  void kill(QProcess* process) {
    process->kill();  // SIGKILL: no clean-exit path runs
    QVERIFY(process->waitForFinished(30'000));
    QCOMPARE(process->exitStatus(), QProcess::CrashExit);
  }

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    m_image = m_tmp.filePath("scene.png");
    QVERIFY(sceneImage(80, 60).save(m_image));
    QImage mask(80, 60, QImage::Format_Grayscale8);
    mask.fill(0);
    for (int y = 10; y < 30; ++y)
      for (int x = 20; x < 50; ++x) mask.scanLine(y)[x] = 255;
    m_mask = m_tmp.filePath("mask.png");
    QVERIFY(mask.save(m_mask));
  }

  void aKilledEditorsWorkIsOfferedAndRestored() {
    const QString data = freshDataDir("killed");
    QProcess editor;
    QVERIFY(startEditor(&editor, data));
    {
      // While it runs it holds the data folder: a second editor does not autosave into it.
      bd::ui::Document doc;
      RecoveryStore second(&doc, nullptr, data);
      QVERIFY(!second.isActive());
      QVERIFY(!second.crashedSession());
    }
    kill(&editor);
    QVERIFY(QFile::exists(QDir(data).filePath("recovery/session.json")));

    MainWindow window(QStringLiteral("cpu"), 1);
    QVERIFY(window.recovery()->isActive());  // the dead editor's lock is free
    QVERIFY(window.recovery()->crashedSession().has_value());
    int asked = 0;
    answerNextBox("Restore", &asked);
    QVERIFY(window.offerRecovery());
    QCOMPARE(asked, 1);
    bd::ui::Document* doc = window.document();
    QCOMPARE(doc->sourcePath(), QFileInfo(m_image).absoluteFilePath());
    QCOMPARE(doc->image().convertToFormat(QImage::Format_RGB888),
             QImage(m_image).convertToFormat(QImage::Format_RGB888));
    QCOMPARE(doc->mask(), QImage(m_mask).convertToFormat(QImage::Format_Grayscale8));
    QCOMPARE(doc->scribble(), redBarScribble(doc->size()));
    QVERIFY(!doc->isModified());
    QCOMPARE(doc->undoStack()->count(), 0);  // editing resumes here: nothing to undo
    QVERIFY(!window.recovery()->crashedSession());
    window.setAskBeforeQuit(false);
  }

  void aCleanExitLeavesNothingToOffer() {
    // Continues from the window above, destroyed at its end: a clean exit.
    const QString data = QString::fromLocal8Bit(qgetenv("BLENDIFF_DATA_DIR"));
    QVERIFY(!QFile::exists(QDir(data).filePath("recovery/session.json")));
    MainWindow window(QStringLiteral("cpu"), 1);
    QVERIFY(!window.recovery()->crashedSession());
    QVERIFY(!window.offerRecovery());
  }

  void discardingRemovesTheSnapshot() {
    const QString data = freshDataDir("discarded");
    QProcess editor;
    QVERIFY(startEditor(&editor, data));
    kill(&editor);
    MainWindow window(QStringLiteral("cpu"), 1);
    int asked = 0;
    answerNextBox("Discard", &asked);
    QVERIFY(!window.offerRecovery());
    QCOMPARE(asked, 1);
    QVERIFY(!window.document()->hasImage());
    QVERIFY(!QFile::exists(QDir(data).filePath("recovery/session.json")));
    QVERIFY(!QFile::exists(QDir(data).filePath("recovery/image.png")));
  }

  void autosaveWritesOnlyWhenSomethingChanged() {
    const QString data = freshDataDir("autosave");
    bd::ui::Document doc;
    bd::ui::HistoryKeeper history(&doc, data);
    auto store = std::make_unique<RecoveryStore>(&doc, &history, data);
    store->setIntervalMs(20);
    QSignalSpy saved(store.get(), &RecoveryStore::saved);
    QTest::qWait(100);
    QCOMPARE(saved.count(), 0);  // nothing open, nothing changed
    doc.setImage(sceneImage(30, 20), m_image);
    QTRY_COMPARE(saved.count(), 1);
    doc.fillRect(QRect(2, 2, 5, 5));
    doc.fillRect(QRect(10, 2, 5, 5));  // two changes within the interval: one write
    QTRY_COMPARE(saved.count(), 2);
    QTest::qWait(100);
    QCOMPARE(saved.count(), 2);
    // No temporary files are left beside the snapshot.
    const QStringList files = QDir(store->dir()).entryList(QDir::Files);
    QCOMPARE(files, (QStringList{"image.png", "instance.lock", "mask.png", "scribble.png",
                                 "session.json"}));
    store.reset();  // a clean exit
    QVERIFY(!QFile::exists(QDir(data).filePath("recovery/session.json")));
    QVERIFY(!QFile::exists(QDir(data).filePath("recovery/mask.png")));
  }

  void aDamagedSnapshotIsReportedNotOffered() {
    const QString data = freshDataDir("damaged");
    const QDir dir(QDir(data).filePath("recovery"));
    QVERIFY(QDir().mkpath(dir.path()));
    QVERIFY(sceneImage(30, 20).save(dir.filePath("image.png")));
    QImage small(10, 10, QImage::Format_Grayscale8);
    small.fill(255);
    QVERIFY(small.save(dir.filePath("mask.png")));
    QFile session(dir.filePath("session.json"));
    QVERIFY(session.open(QIODevice::WriteOnly));
    session.write("{\"source\": \"x.png\"}");
    session.close();
    bd::ui::Document doc;
    RecoveryStore store(&doc, nullptr, data);
    QSignalSpy problem(&store, &RecoveryStore::problem);
    QVERIFY(!store.crashedSession());
    QTRY_COMPARE(problem.count(), 1);
    const QString text = problem.first().at(0).toString();
    QVERIFY2(text.contains("mask.png: 10x10, not the image's 30x20"), qPrintable(text));
    QVERIFY2(text.contains("scribble.png"), qPrintable(text));
  }
};

QTEST_MAIN(TestRecovery)
#include "test_recovery.moc"
