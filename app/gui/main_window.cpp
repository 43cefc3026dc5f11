// MainWindow: the widgets, their layout and their wiring to the EditController. The
// rest of the class lives beside it by responsibility: main_window_actions.cpp (menus,
// tool bar), main_window_files.cpp (open, export, quit with unsaved work),
// main_window_history.cpp (History panel, queue, crash recovery) and
// main_window_settings.cpp (what QSettings keeps between sessions).
#include "main_window.h"

#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QStatusBar>
#include <QVBoxLayout>

#include "bd/paths.h"
#include "candidate_gallery.h"
#include "candidate_model.h"
#include "document.h"
#include "edit_controller.h"
#include "edit_progress_bar.h"
#include "mask_canvas.h"
#include "params_panel.h"
#include "prompt_panel.h"

namespace bd::gui {

MainWindow::MainWindow(const QString& device, int threads, QWidget* parent) : QMainWindow(parent) {
  setObjectName("MainWindow");
  setAcceptDrops(true);
  m_document = new bd::ui::Document(this);
  m_canvas = new bd::ui::MaskCanvas(m_document, this);
  m_canvas->setObjectName("maskCanvas");
  m_model = new bd::ui::CandidateModel(m_document, this);
  m_gallery = new bd::ui::CandidateGallery(m_model, this);
  m_prompt = new bd::ui::PromptPanel(this);
  m_params = new bd::ui::ParamsPanel(this);
  m_progress = new bd::ui::EditProgressBar(this);
  m_controller = new EditController(m_document, this, device, threads);
  buildLayout();
  buildHistory();
  buildActions();
  buildComputeMenu(device);
  connectController();
  loadSettings();
  updateTitle();
  updateGenerateEnabled();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildLayout() {
  m_banner = new QFrame(this);
  m_banner->setObjectName("packBanner");
  m_banner->setFrameShape(QFrame::StyledPanel);
  m_banner->setStyleSheet(QStringLiteral("#packBanner { background: #5a4a16; color: white; }"));
  m_bannerText = new QLabel(m_banner);
  m_bannerText->setWordWrap(true);
  m_bannerText->setTextInteractionFlags(Qt::TextSelectableByMouse);
  auto* chooseButton = new QPushButton(tr("Choose model pack…"), m_banner);
  connect(chooseButton, &QPushButton::clicked, this, &MainWindow::choosePackDialog);
  auto* bannerLayout = new QHBoxLayout(m_banner);
  bannerLayout->addWidget(m_bannerText, 1);
  bannerLayout->addWidget(chooseButton);
  m_banner->hide();

  auto* central = new QWidget(this);
  auto* layout = new QVBoxLayout(central);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addWidget(m_banner);
  layout->addWidget(m_prompt);
  layout->addWidget(m_progress);
  layout->addWidget(m_canvas, 1);
  setCentralWidget(central);

  auto* paramsDock = new QDockWidget(tr("Parameters"), this);
  paramsDock->setObjectName("paramsDock");
  auto* paramsHolder = new QWidget(paramsDock);
  auto* paramsLayout = new QVBoxLayout(paramsHolder);
  m_packLabel = new QLabel(tr("Model pack: none"), paramsHolder);
  m_packLabel->setWordWrap(true);
  auto* packButton = new QPushButton(tr("Model pack…"), paramsHolder);
  packButton->setToolTip(tr("Load another model pack folder (with pack.json)"));
  connect(packButton, &QPushButton::clicked, this, &MainWindow::choosePackDialog);
  paramsLayout->addWidget(m_packLabel);
  paramsLayout->addWidget(packButton);
  paramsLayout->addWidget(m_params);
  paramsLayout->addStretch(1);
  auto* scroll = new QScrollArea(paramsDock);
  scroll->setWidget(paramsHolder);
  scroll->setWidgetResizable(true);
  paramsDock->setWidget(scroll);
  addDockWidget(Qt::LeftDockWidgetArea, paramsDock);

  auto* galleryDock = new QDockWidget(tr("Candidates"), this);
  galleryDock->setObjectName("galleryDock");
  galleryDock->setWidget(m_gallery);
  galleryDock->setMinimumWidth(2 * bd::ui::CandidateModel::kThumbnailSize + 60);
  addDockWidget(Qt::RightDockWidgetArea, galleryDock);

  m_zoomLabel = new QLabel(this);
  statusBar()->addPermanentWidget(m_zoomLabel);
  resize(1400, 860);
}

void MainWindow::connectController() {
  connect(m_prompt, &bd::ui::PromptPanel::generateRequested, this, [this](const QString& prompt) {
    const bd::EditParams params = m_params->paramsForRun();
    if (confirmLongCpuEdit(params)) m_controller->generate(prompt, params);
  });
  connect(m_prompt, &bd::ui::PromptPanel::cancelRequested, m_controller, &EditController::cancel);
  connect(m_prompt, &bd::ui::PromptPanel::cancelRequested, this,
          [this] { m_progress->setMessage(tr("Cancelling…")); });
  connect(m_controller, &EditController::busyChanged, m_prompt, &bd::ui::PromptPanel::setRunning);
  connect(m_controller, &EditController::busyChanged, this, [this](bool busy) {
    if (busy) m_progress->setMessage(tr("Preparing…"));
  });
  connect(m_controller, &EditController::progress, this, [this](const bd::ui::StepProgress& p) {
    m_progress->setProgress(p.step, p.total, p.etaS);
  });
  connect(m_controller, &EditController::editFinished, this,
          [this](int count, const QStringList& warnings) {
            m_progress->reset();
            m_progress->setMessage(tr("%n candidate(s), best first", nullptr, count));
            if (count > 0) {
              // The finished job's best result, even if an earlier job was picked meanwhile.
              m_document->setCurrentJob(m_controller->runningDocumentJob());
              m_document->setShownCandidate(0);
            }
            for (const QString& w : warnings) statusBar()->showMessage(w, 10000);
          });
  connect(m_controller, &EditController::editCancelled, this, [this] {
    m_progress->reset();
    m_progress->setMessage(tr("Cancelled; the image is unchanged"));
  });
  connect(m_controller, &EditController::errorOccurred, this, &MainWindow::showError);
  connect(m_controller, &EditController::packLoading, this, [this](const QString& dir) {
    m_packLabel->setText(tr("Model pack: loading %1…").arg(QDir::toNativeSeparators(dir)));
    m_banner->hide();
    updateGenerateEnabled();
  });
  connect(m_controller, &EditController::packReady, this, [this](const bd::ui::PackInfo& info) {
    m_packLabel->setText(tr("Model pack: <b>%1</b> (%2 px, %3, %4)")
                             .arg(info.title.toHtmlEscaped())
                             .arg(info.imageSize)
                             .arg(info.device, info.precision));
    m_packLabel->setToolTip(info.dir);
    m_banner->hide();
    m_params->setDefaults(info.defaults);
    QSettings settings;
    // Saved parameters belong to the pack they were tuned for; another pack (or none
    // saved yet) starts from the pack's own defaults.
    if (settings.value("params/pack").toString() != info.dir) m_params->resetToDefaults();
    settings.setValue("lastPack", info.dir);
    updateGenerateEnabled();
  });
  connect(m_controller, &EditController::packFailed, this,
          [this](const QString& dir, const QString& kind, const QString& msg) {
            m_packLabel->setText(tr("Model pack: none"));
            showPackBanner(tr("<b>The model pack in %1 could not be loaded</b> (%2):<br>%3")
                               .arg(QDir::toNativeSeparators(dir).toHtmlEscaped(), kind,
                                    msg.toHtmlEscaped().replace('\n', "<br>")));
            updateGenerateEnabled();
          });
  connect(m_document, &bd::ui::Document::imageChanged, this, [this] {
    updateTitle();
    updateGenerateEnabled();
  });
  connect(m_document, &bd::ui::Document::sourcePathChanged, this, &MainWindow::updateTitle);
  connect(m_document, &bd::ui::Document::modifiedChanged, this, &MainWindow::updateTitle);
  connect(m_canvas, &bd::ui::MaskCanvas::zoomChanged, this,
          [this](double z) { m_zoomLabel->setText(tr("%1 %").arg(qRound(z * 100))); });
  connect(m_gallery, &bd::ui::CandidateGallery::applyRequested, this, [this](int row) {
    m_controller->applyCandidate(row);
    statusBar()->showMessage(tr("Applied; Ctrl+Z undoes it"), 5000);
  });
  connect(m_gallery, &bd::ui::CandidateGallery::rerunRequested, m_controller,
          &EditController::rerunWithSeed);
  connect(m_gallery, &bd::ui::CandidateGallery::discardRequested, m_controller,
          &EditController::discardCandidate);
  connect(m_gallery, &bd::ui::CandidateGallery::exportAllRequested, this,
          &MainWindow::exportAllDialog);
}

void MainWindow::updateGenerateEnabled() {
  QString why;
  if (!m_controller->isPackReady())
    why = m_controller->isPackLoading() ? tr("The model pack is loading…")
                                        : tr("Choose a model pack first");
  else if (!m_document->hasImage())
    why = tr("Open an image first");
  m_prompt->setGenerateEnabled(why.isEmpty(), why);
  if (m_controller->isBusy()) return;
  // The bar doubles as the "why can't I generate" line while idle.
  if (!why.isEmpty()) {
    m_progress->setMessage(why);
    m_idleReason = true;
  } else if (m_idleReason) {
    m_progress->reset();
    m_idleReason = false;
  }
}

void MainWindow::showPackBanner(const QString& text) {
  m_bannerText->setText(text);
  m_banner->show();
}

void MainWindow::loadStartupPack(const QString& overrideDir) {
  QString dir = overrideDir;
  if (dir.isEmpty()) {
    const QString last = QSettings().value("lastPack").toString();
    if (!last.isEmpty() && QFileInfo::exists(last + "/pack.json")) dir = last;
  }
  if (dir.isEmpty()) dir = QString::fromStdString(bd::default_pack_dir());
  if (dir.isEmpty()) {
    QStringList searched;
    for (const std::string& d : bd::model_search_dirs())
      searched << QDir::toNativeSeparators(QString::fromStdString(d));
    showPackBanner(
        tr("<b>No model pack found.</b> Blendiff looks for <tt>toyworld/pack.json</tt> in: %1. "
           "Choose a pack folder (one with a <tt>pack.json</tt>).")
            .arg(searched.isEmpty() ? tr("(no folders)")
                                    : searched.join(QStringLiteral(", ")).toHtmlEscaped()));
    updateGenerateEnabled();
    return;
  }
  m_controller->loadPack(dir);
  updateGenerateEnabled();
}

void MainWindow::choosePackDialog() {
  const QString dir = QFileDialog::getExistingDirectory(
      this, tr("Model pack folder (with pack.json)"), QSettings().value("lastPack").toString());
  if (dir.isEmpty()) return;
  if (!QFileInfo::exists(dir + "/pack.json")) {
    showError(tr("Not a model pack"), QStringLiteral("ModelFiles"),
              tr("%1 has no pack.json. A model pack folder holds pack.json and the weight files it "
                 "names.")
                  .arg(dir));
    return;
  }
  m_controller->loadPack(dir);
}

void MainWindow::showError(const QString& title, const QString& kind, const QString& message) {
  QMessageBox box(QMessageBox::Warning, title, message.section('\n', 0, 0), QMessageBox::Ok, this);
  box.setDetailedText(tr("Kind: %1\n\n%2").arg(kind, message));
  if (kind == QLatin1String("OutOfMemory"))
    box.setInformativeText(tr("Lower the batch size, the padding or the mask size and try again."));
  else if (kind == QLatin1String("ModelFiles"))
    box.setInformativeText(tr("Check the model pack folder (File › Model Pack…)."));
  box.exec();
}

void MainWindow::updateTitle() {
  const QString source = m_document->sourcePath();
  QString name = source.isEmpty() ? tr("Untitled") : QFileInfo(source).fileName();
  if (!m_document->hasImage()) name.clear();
  setWindowTitle(name.isEmpty()
                     ? tr("Blendiff")
                     : tr("%1%2 — Blendiff").arg(name, m_document->isModified() ? "*" : ""));
}

}  // namespace bd::gui
