#include "demo_script.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFrame>
#include <QLinearGradient>
#include <QPainter>
#include <QTextStream>
#include <QTimer>
#include <QTreeWidget>
#include <cmath>
#include <cstdio>

#include "bd/paths.h"
#include "candidate_gallery.h"
#include "document.h"
#include "edit_controller.h"
#include "history_panel.h"
#include "main_window.h"
#include "mask_canvas.h"
#include "params_panel.h"
#include "prompt_panel.h"
#include "queue_button.h"
#include "recovery_store.h"

namespace bd::gui {

namespace {

// A small scene in ToyWorld's spirit (sky, ground, a ball) for trees without samples.
QImage syntheticScene() {
  QImage img(384, 288, QImage::Format_RGB888);
  QPainter p(&img);
  QLinearGradient sky(0, 0, 0, 190);
  sky.setColorAt(0, QColor(120, 170, 235));
  sky.setColorAt(1, QColor(200, 225, 250));
  p.fillRect(0, 0, 384, 190, sky);
  p.fillRect(0, 190, 384, 98, QColor(90, 160, 70));
  p.setRenderHint(QPainter::Antialiasing);
  p.setPen(Qt::NoPen);
  p.setBrush(QColor(250, 220, 60));
  p.drawEllipse(QPointF(320, 55), 26, 26);
  p.setBrush(QColor(60, 90, 200));
  p.drawEllipse(QPointF(170, 200), 42, 42);
  p.setBrush(QColor(140, 100, 60));
  p.drawRect(40, 150, 50, 80);
  return img;
}

}  // namespace

DemoScript::DemoScript(MainWindow* window, QString outDir, QString prompt, QObject* parent)
    : QObject(parent), m_window(window), m_outDir(std::move(outDir)), m_prompt(std::move(prompt)) {}

void DemoScript::start() {
  m_clock.start();
  QDir().mkpath(m_outDir);
  m_window->setAskBeforeQuit(false);
  QTimer::singleShot(570'000, this, [this] { finish(1, QStringLiteral("timed out")); });
  EditController* c = m_window->controller();
  connect(c, &EditController::errorOccurred, this,
          [this](const QString& title, const QString&, const QString& msg) {
            grab(QStringLiteral("error"));
            finish(2, title + ": " + msg);
          });
  connect(c, &EditController::packFailed, this,
          [this](const QString& dir, const QString&, const QString& msg) {
            grab(QStringLiteral("no_pack"));
            finish(3, "pack " + dir + ": " + msg);
          });
  connect(c, &EditController::previewShown, this, [this](int step) {
    if (m_grabbedGenerating || step < 2) return;
    m_grabbedGenerating = true;
    grab(QStringLiteral("generating"));
    queueMore();
  });
  connect(c, &EditController::progress, this, [this](const bd::ui::StepProgress& p) {
    // Without previews, grab mid-run from the progress alone.
    if (!m_grabbedGenerating && p.step * 2 >= p.total && p.total > 2) {
      m_grabbedGenerating = true;
      grab(QStringLiteral("generating"));
      queueMore();
    }
  });
  connect(c, &EditController::editFinished, this, [this](int count) {
    if (count == 0) return finish(4, QStringLiteral("an edit gave no candidates"));
    // The queue starts its next job right after this signal.
    QTimer::singleShot(300, this, [this] {
      if (!m_window->controller()->isBusy() && m_window->controller()->queuedJobs().isEmpty())
        allDone();
    });
  });
  QTimer::singleShot(400, this, [this] {
    grab(QStringLiteral("empty"));
    openScene();
  });
}

void DemoScript::openScene() {
  if (!m_window->openSample()) {
    const QString path = QDir(m_outDir).filePath(QStringLiteral("scene.png"));
    syntheticScene().save(path);
    m_window->openImage(path);
  }
  QTimer::singleShot(300, this, [this] { paintMask(); });
}

void DemoScript::paintMask() {
  bd::ui::MaskCanvas* canvas = m_window->canvas();
  bd::ui::Document* document = m_window->document();
  const QSize s = document->size();
  // Paint a disc as a spiral drag: over the sample's own mask when it has one (then
  // the painted mask replaces it), else around the middle of the lower half.
  QPointF centre(s.width() * 0.44, s.height() * 0.69);
  double r = std::min(s.width(), s.height()) * 0.17;
  const QImage sampleMask = document->mask();
  QRect box;
  for (int y = 0; y < sampleMask.height(); ++y)
    for (int x = 0; x < sampleMask.width(); ++x)
      if (sampleMask.constScanLine(y)[x] >= 128) box |= QRect(x, y, 1, 1);
  if (!box.isEmpty()) {
    centre = QRectF(box).center();
    r = 0.5 * std::hypot(box.width(), box.height()) * 1.05;
    document->clearMask();
  }
  canvas->setBrushRadius(r * 0.35);
  QVector<QPointF> points;
  for (int i = 0; i <= 120; ++i) {
    const double t = i / 120.0;
    const double a = t * 6 * M_PI;
    points << centre + QPointF(std::cos(a), std::sin(a)) * (r * 0.7 * t);
  }
  canvas->paintStroke(points);
  QTimer::singleShot(300, this, [this] {
    grab(QStringLiteral("with_mask"));
    generate();
  });
}

void DemoScript::generate() {
  EditController* c = m_window->controller();
  if (!c->isPackReady()) {
    if (m_clock.elapsed() > 120'000)
      return finish(3, QStringLiteral("the model pack did not load"));
    QTimer::singleShot(200, this, [this] { generate(); });
    return;
  }
  // Fewer steps than the pack's default keep the scripted run short on a CPU
  // (ToyWorld's notes: respacing 50, skip 12).
  m_window->paramsPanel()->resetToDefaults();  // not whatever an earlier run left
  bd::EditParams params = m_window->paramsPanel()->params();
  params.timestep_respacing = "50";
  params.skip_timesteps = 12;
  m_window->paramsPanel()->setParams(params);
  m_window->document()->saveMask(QDir(m_outDir).filePath(QStringLiteral("mask.png")));
  if (!m_prompt.isEmpty() || m_window->promptPanel()->prompt().isEmpty())
    m_window->promptPanel()->setPrompt(m_prompt.isEmpty() ? QStringLiteral("a red ball")
                                                          : m_prompt);
  m_window->promptPanel()->triggerGenerate();
  m_generated = true;
}

void DemoScript::queueMore() {
  if (m_queued) return;
  m_queued = true;
  bd::ui::PromptPanel* prompt = m_window->promptPanel();
  const QString first = prompt->prompt();
  // Smaller jobs keep the run short: two candidates each.
  bd::EditParams params = m_window->paramsPanel()->params();
  params.batch_size = 2;
  params.iterations = 1;
  m_window->paramsPanel()->setParams(params);
  for (const QString& more : {QStringLiteral("a green ball"), QStringLiteral("a yellow ball")}) {
    prompt->setPrompt(more);
    prompt->triggerQueue();
  }
  prompt->setPrompt(first);
  m_window->queueButton()->showList();
  grab(QStringLiteral("queue"), m_window->queueButton()->popup());
  m_window->queueButton()->popup()->hide();
}

void DemoScript::allDone() {
  bd::ui::Document* document = m_window->document();
  std::printf("demo: %lld jobs in the history\n", static_cast<long long>(document->jobs().size()));
  grab(QStringLiteral("gallery"));
  // The history with every job open, the first job's best candidate shown from it.
  m_window->historyPanel()->tree()->expandAll();
  m_window->historyPanel()->selectCandidate(0, 0);
  QTimer::singleShot(300, this, [this, document] {
    grab(QStringLiteral("history"));
    document->setCurrentJob(document->jobs().size() - 1);
    document->setShownCandidate(0);
    // The best candidate, exported as a user would (PNG with its parameters).
    m_window->controller()->exportShown(QDir(m_outDir).filePath(QStringLiteral("best.png")));
    finish(document->jobs().size() == 3 ? 0 : 4,
           QStringLiteral("%1 jobs, %2 candidates in the last")
               .arg(document->jobs().size())
               .arg(document->candidates().size()));
  });
}

void startAutosaveScript(MainWindow* window) {
  window->setAskBeforeQuit(false);
  bd::ui::Document* document = window->document();
  if (document->hasImage()) {
    QImage scribble(document->size(), QImage::Format_RGBA8888);
    scribble.fill(Qt::transparent);
    QPainter p(&scribble);
    const QSize s = document->size();
    p.fillRect(QRect(s.width() / 8, s.height() / 2 - 2, s.width() * 3 / 4, 5), QColor(230, 30, 30));
    p.end();
    document->setScribble(scribble, QObject::tr("Scribble"));
  }
  bd::ui::RecoveryStore* recovery = window->recovery();
  if (!recovery->isActive()) {
    std::printf("autosave inactive: another editor holds %s\n", qPrintable(recovery->dir()));
    std::fflush(stdout);
  }
  QObject::connect(recovery, &bd::ui::RecoveryStore::saved, recovery, [recovery] {
    std::printf("autosaved %s\n", qPrintable(recovery->dir()));
    std::fflush(stdout);
  });
}

void DemoScript::grab(const QString& name, QWidget* popup) {
  QApplication::processEvents();
  const QString path = QDir(m_outDir).filePath(name + QStringLiteral(".png"));
  QPixmap shot = m_window->grab();
  if (popup && popup->isVisible()) {
    QPainter p(&shot);
    p.drawPixmap(m_window->mapFromGlobal(popup->mapToGlobal(QPoint(0, 0))), popup->grab());
  }
  const bool ok = shot.save(path);
  std::printf("screenshot %s %s (%.1f s)\n", qPrintable(path), ok ? "saved" : "FAILED",
              m_clock.elapsed() / 1000.0);
  std::fflush(stdout);
}

void DemoScript::finish(int code, const QString& why) {
  std::printf("demo %s: %s\n", code == 0 ? "done" : "failed", qPrintable(why));
  std::fflush(stdout);
  QApplication::exit(code);
}

}  // namespace bd::gui
