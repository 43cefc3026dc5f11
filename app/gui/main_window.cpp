#include "main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QImageReader>
#include <QInputDialog>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSlider>
#include <QStatusBar>
#include <QToolBar>
#include <QUndoStack>
#include <QVBoxLayout>

#include "bd/paths.h"
#include "candidate_gallery.h"
#include "candidate_model.h"
#include "edit_controller.h"
#include "edit_progress_bar.h"
#include "mask_canvas.h"
#include "params_panel.h"
#include "prompt_panel.h"

namespace bd::gui {

namespace {

constexpr int kRecentMax = 10;
const QStringList kImageFilters = {QStringLiteral("*.png"),  QStringLiteral("*.jpg"),
                                   QStringLiteral("*.jpeg"), QStringLiteral("*.webp"),
                                   QStringLiteral("*.tif"),  QStringLiteral("*.tiff"),
                                   QStringLiteral("*.bmp")};

void writeParams(QSettings& s, const bd::EditParams& p) {
  s.beginGroup(QStringLiteral("params"));
  s.setValue("timestep_respacing", QString::fromStdString(p.timestep_respacing));
  s.setValue("skip_timesteps", p.skip_timesteps);
  s.setValue("ddim", p.ddim);
  s.setValue("batch_size", p.batch_size);
  s.setValue("iterations", p.iterations);
  s.setValue("seed", QVariant::fromValue<qulonglong>(p.seed));
  s.setValue("aug_num", p.aug_num);
  s.setValue("random_augmentations", p.random_augmentations);
  s.setValue("clip_lambda", p.clip_lambda);
  s.setValue("range_lambda", p.range_lambda);
  s.setValue("padding", p.padding);
  s.setValue("grow_px", p.grow_px);
  s.setValue("feather_px", p.feather_px);
  s.setValue("preview_every", p.preview_every);
  s.endGroup();
}

// Falls back to `p`'s value for every missing or malformed entry.
bd::EditParams readParams(QSettings& s, bd::EditParams p) {
  s.beginGroup(QStringLiteral("params"));
  auto num = [&](const char* key, auto& field) {
    bool ok = false;
    const QVariant v = s.value(key);
    if (!v.isValid()) return;
    using T = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<T, double>) {
      const double d = v.toDouble(&ok);
      if (ok) field = d;
    } else if constexpr (std::is_same_v<T, bool>) {
      field = v.toBool();
    } else {
      const qlonglong n = v.toLongLong(&ok);
      if (ok && n >= 0) field = static_cast<T>(n);
    }
  };
  if (const QString r = s.value("timestep_respacing").toString(); !r.isEmpty())
    p.timestep_respacing = r.toStdString();
  num("skip_timesteps", p.skip_timesteps);
  num("ddim", p.ddim);
  num("batch_size", p.batch_size);
  num("iterations", p.iterations);
  num("seed", p.seed);
  num("aug_num", p.aug_num);
  num("random_augmentations", p.random_augmentations);
  num("clip_lambda", p.clip_lambda);
  num("range_lambda", p.range_lambda);
  num("padding", p.padding);
  num("grow_px", p.grow_px);
  num("feather_px", p.feather_px);
  num("preview_every", p.preview_every);
  s.endGroup();
  return p;
}

QSlider* slider(int lo, int hi, const QString& tip) {
  auto* s = new QSlider(Qt::Horizontal);
  s->setRange(lo, hi);
  s->setToolTip(tip);
  s->setMaximumWidth(110);
  return s;
}

}  // namespace

MainWindow::MainWindow(const QString& device, int threads, QWidget* parent) : QMainWindow(parent) {
  setObjectName("MainWindow");
  setAcceptDrops(true);
  m_canvas = new bd::ui::MaskCanvas(this);
  m_canvas->setObjectName("maskCanvas");
  m_model = new bd::ui::CandidateModel(this);
  m_gallery = new bd::ui::CandidateGallery(m_model, this);
  m_prompt = new bd::ui::PromptPanel(this);
  m_params = new bd::ui::ParamsPanel(this);
  m_progress = new bd::ui::EditProgressBar(this);
  m_controller = new EditController(m_canvas, m_model, this, device, threads);
  buildLayout();
  buildActions();
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

void MainWindow::buildActions() {
  QUndoStack* undo = m_canvas->undoStack();

  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&Open…"), QKeySequence::Open, this, &MainWindow::openImageDialog);
  m_recentMenu = file->addMenu(tr("Open &Recent"));
  QAction* sample = file->addAction(tr("Open &Sample Scene"), this, [this] { openSample(); });
  sample->setEnabled(!bd::samples_dir().empty());
  file->addAction(tr("&Paste Image"), QKeySequence::Paste, this, &MainWindow::pasteImage);
  file->addSeparator();
  file->addAction(tr("&Export Shown Image…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S), this,
                  &MainWindow::exportDialog);
  file->addAction(tr("Export &All Candidates…"), this, &MainWindow::exportAllDialog);
  file->addSeparator();
  file->addAction(tr("&Load Mask…"), this, [this] {
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Load mask"), {}, tr("Images (%1)").arg(kImageFilters.join(' ')));
    QString error;
    if (!path.isEmpty() && !m_canvas->loadMask(path, &error))
      showError(tr("Cannot load the mask"), "InvalidInput", error);
  });
  file->addAction(tr("Sa&ve Mask…"), this, [this] {
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Save mask"), QStringLiteral("mask.png"), tr("PNG (*.png)"));
    QString error;
    if (!path.isEmpty() && !m_canvas->saveMask(path, &error))
      showError(tr("Cannot save the mask"), "InvalidInput", error);
  });
  file->addSeparator();
  file->addAction(tr("&Model Pack…"), this, &MainWindow::choosePackDialog);
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  QAction* undoAction = undo->createUndoAction(this, tr("&Undo"));
  undoAction->setShortcut(QKeySequence::Undo);
  QAction* redoAction = undo->createRedoAction(this, tr("&Redo"));
  redoAction->setShortcut(QKeySequence::Redo);
  edit->addAction(undoAction);
  edit->addAction(redoAction);

  QToolBar* tools = addToolBar(tr("Mask"));
  tools->setObjectName("maskToolBar");
  auto* toolGroup = new QActionGroup(this);
  auto addTool = [&](const QString& text, const QString& tip, QKeySequence key,
                     bd::ui::MaskCanvas::Tool tool) {
    QAction* a = tools->addAction(text, this, [this, tool] { m_canvas->setTool(tool); });
    a->setCheckable(true);
    a->setToolTip(tip);
    a->setShortcut(key);
    a->setChecked(m_canvas->tool() == tool);
    toolGroup->addAction(a);
    connect(m_canvas, &bd::ui::MaskCanvas::toolChanged, a,
            [a, tool](bd::ui::MaskCanvas::Tool t) { a->setChecked(t == tool); });
  };
  addTool(tr("Brush"), tr("Paint the region to edit (B). Right button erases."),
          QKeySequence(Qt::Key_B), bd::ui::MaskCanvas::Tool::Brush);
  addTool(tr("Eraser"), tr("Erase from the mask (E)"), QKeySequence(Qt::Key_E),
          bd::ui::MaskCanvas::Tool::Eraser);
  addTool(tr("Rectangle"), tr("Drag a rectangle to fill; right button to clear (R)"),
          QKeySequence(Qt::Key_R), bd::ui::MaskCanvas::Tool::Rectangle);
  tools->addSeparator();
  tools->addWidget(new QLabel(tr(" Size "), tools));
  m_brushSize = slider(1, 300, tr("Brush radius in image pixels ([ and ])"));
  tools->addWidget(m_brushSize);
  connect(m_brushSize, &QSlider::valueChanged, m_canvas,
          [this](int v) { m_canvas->setBrushRadius(v); });
  connect(m_canvas, &bd::ui::MaskCanvas::brushRadiusChanged, m_brushSize, [this](double r) {
    const QSignalBlocker b(m_brushSize);
    m_brushSize->setValue(qRound(r));
  });
  tools->addWidget(new QLabel(tr(" Hardness "), tools));
  m_hardness = slider(0, 100, tr("Brush edge: 100 % hard, 0 % soft"));
  tools->addWidget(m_hardness);
  connect(m_hardness, &QSlider::valueChanged, m_canvas,
          [this](int v) { m_canvas->setBrushHardness(v / 100.0); });
  tools->addWidget(new QLabel(tr(" Overlay "), tools));
  m_opacity = slider(0, 100, tr("Opacity of the mask overlay"));
  tools->addWidget(m_opacity);
  connect(m_opacity, &QSlider::valueChanged, m_canvas,
          [this](int v) { m_canvas->setOverlayOpacity(v / 100.0); });
  tools->addSeparator();

  QMenu* mask = menuBar()->addMenu(tr("&Mask"));
  QAction* show = mask->addAction(tr("&Show Mask"));
  show->setCheckable(true);
  show->setChecked(true);
  show->setShortcut(QKeySequence(Qt::Key_H));
  connect(show, &QAction::toggled, m_canvas, &bd::ui::MaskCanvas::setMaskVisible);
  tools->addAction(show);
  QAction* invert = mask->addAction(tr("&Invert"), QKeySequence(Qt::CTRL | Qt::Key_I), m_canvas,
                                    &bd::ui::MaskCanvas::invertMask);
  QAction* clear =
      mask->addAction(tr("&Clear"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Delete), m_canvas,
                      &bd::ui::MaskCanvas::clearMask);
  QAction* grow = mask->addAction(tr("&Grow…"), this, [this] {
    bool ok = false;
    const int px = QInputDialog::getInt(this, tr("Grow mask"), tr("Pixels:"), 8, 1, 500, 1, &ok);
    if (ok) m_canvas->growMask(px);
  });
  QAction* shrink = mask->addAction(tr("S&hrink…"), this, [this] {
    bool ok = false;
    const int px = QInputDialog::getInt(this, tr("Shrink mask"), tr("Pixels:"), 8, 1, 500, 1, &ok);
    if (ok) m_canvas->growMask(-px);
  });
  for (QAction* a : {invert, clear, grow, shrink}) tools->addAction(a);
  mask->addAction(tr("Overlay &Colour…"), this, [this] {
    const QStringList names = {tr("Red"), tr("Green"), tr("Blue"), tr("Yellow")};
    const QList<QColor> colours = {QColor(255, 40, 90), QColor(40, 220, 90), QColor(40, 120, 255),
                                   QColor(255, 220, 0)};
    bool ok = false;
    const QString pick =
        QInputDialog::getItem(this, tr("Overlay colour"), tr("Colour:"), names, 0, false, &ok);
    if (ok) m_canvas->setOverlayColor(colours[names.indexOf(pick)]);
  });

  QMenu* view = menuBar()->addMenu(tr("&View"));
  view->addAction(tr("Zoom &In"), QKeySequence::ZoomIn, m_canvas, &bd::ui::MaskCanvas::zoomIn);
  view->addAction(tr("Zoom &Out"), QKeySequence::ZoomOut, m_canvas, &bd::ui::MaskCanvas::zoomOut);
  view->addAction(tr("&Fit"), QKeySequence(Qt::CTRL | Qt::Key_0), m_canvas,
                  &bd::ui::MaskCanvas::fitToWindow);
  view->addAction(tr("&100 %"), QKeySequence(Qt::CTRL | Qt::Key_1), m_canvas,
                  &bd::ui::MaskCanvas::actualSize);
  view->addSeparator();
  view->addAction(tr("Compare: hold \\ on the canvas to see the original"))->setEnabled(false);
}

void MainWindow::connectController() {
  connect(m_prompt, &bd::ui::PromptPanel::generateRequested, this, [this](const QString& prompt) {
    m_controller->generate(prompt, m_params->paramsForRun());
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
            if (count > 0) m_gallery->setCurrentRow(0);
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
    m_packLabel->setText(tr("Model pack: <b>%1</b> (%2 px, %3)")
                             .arg(info.title.toHtmlEscaped())
                             .arg(info.imageSize)
                             .arg(info.device));
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
  connect(m_canvas, &bd::ui::MaskCanvas::imageChanged, this, [this] {
    updateTitle();
    updateGenerateEnabled();
  });
  connect(m_canvas, &bd::ui::MaskCanvas::maskChanged, this, &MainWindow::updateGenerateEnabled);
  connect(m_canvas, &bd::ui::MaskCanvas::zoomChanged, this,
          [this](double z) { m_zoomLabel->setText(tr("%1 %").arg(qRound(z * 100))); });
  connect(m_gallery, &bd::ui::CandidateGallery::candidateSelected, m_controller,
          &EditController::showCandidate);
  connect(m_gallery, &bd::ui::CandidateGallery::applyRequested, this, [this](int row) {
    m_controller->applyCandidate(row);
    m_gallery->setCurrentRow(-1);
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
  else if (!m_canvas->hasImage())
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

bool MainWindow::openImage(const QString& path) {
  if (!m_controller->openImage(path)) return false;
  addRecentFile(QFileInfo(path).absoluteFilePath());
  updateTitle();
  return true;
}

bool MainWindow::openSample() {
  const QDir dir(QString::fromStdString(bd::samples_dir()));
  if (!dir.exists()) return false;
  // demo.json names the scene, its mask and a prompt that suits it.
  QFile manifest(dir.filePath(QStringLiteral("demo.json")));
  if (manifest.open(QIODevice::ReadOnly)) {
    const QJsonObject demo = QJsonDocument::fromJson(manifest.readAll()).object();
    const QString image = demo.value("image").toString();
    if (!image.isEmpty() && openImage(dir.filePath(image))) {
      if (const QString mask = demo.value("mask").toString(); !mask.isEmpty())
        m_canvas->loadMask(dir.filePath(mask));
      if (const QString prompt = demo.value("prompt").toString(); !prompt.isEmpty())
        m_prompt->setPrompt(prompt);
      return true;
    }
  }
  const QStringList images = dir.entryList(kImageFilters, QDir::Files, QDir::Name);
  for (const QString& name : images)
    if (!name.contains(QStringLiteral("mask"), Qt::CaseInsensitive))
      return openImage(dir.filePath(name));
  return false;
}

void MainWindow::openImageDialog() {
  const QString path =
      QFileDialog::getOpenFileName(this, tr("Open image"), QSettings().value("lastDir").toString(),
                                   tr("Images (%1)").arg(kImageFilters.join(' ')));
  if (path.isEmpty()) return;
  QSettings().setValue("lastDir", QFileInfo(path).absolutePath());
  openImage(path);
}

void MainWindow::pasteImage() {
  const QImage image = QApplication::clipboard()->image();
  if (image.isNull()) {
    statusBar()->showMessage(tr("The clipboard holds no image"), 4000);
    return;
  }
  m_controller->setImage(image.hasAlphaChannel() ? image.convertToFormat(QImage::Format_RGBA8888)
                                                 : image.convertToFormat(QImage::Format_RGB888));
  updateTitle();
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

void MainWindow::exportDialog() {
  if (!m_canvas->hasImage()) return;
  const QString base = m_controller->sourcePath().isEmpty()
                           ? QStringLiteral("edit")
                           : QFileInfo(m_controller->sourcePath()).completeBaseName() + "_edit";
  QString path = QFileDialog::getSaveFileName(
      this, tr("Export shown image"),
      QDir(QSettings().value("lastExportDir").toString()).filePath(base + ".png"),
      tr("PNG with parameters (*.png);;JPEG (*.jpg *.jpeg);;WebP (*.webp)"));
  if (path.isEmpty()) return;
  if (QFileInfo(path).suffix().isEmpty()) path += QStringLiteral(".png");
  QSettings().setValue("lastExportDir", QFileInfo(path).absolutePath());
  bool overwriteSource = false;
  if (m_controller->isSourcePath(path)) {
    overwriteSource =
        QMessageBox::warning(this, tr("Overwrite the original?"),
                             tr("%1 is the image you opened. Replace it with the edit?").arg(path),
                             QMessageBox::Yes | QMessageBox::Cancel,
                             QMessageBox::Cancel) == QMessageBox::Yes;
    if (!overwriteSource) return;
  }
  if (m_controller->exportShown(path, overwriteSource))
    statusBar()->showMessage(tr("Exported %1").arg(path), 5000);
}

void MainWindow::exportAllDialog() {
  if (m_model->count() == 0) return;
  const QString dir = QFileDialog::getExistingDirectory(
      this, tr("Export all candidates to"), QSettings().value("lastExportDir").toString());
  if (dir.isEmpty()) return;
  const int n = m_controller->exportAllCandidates(dir);
  if (n >= 0)
    statusBar()->showMessage(tr("Exported %n candidate(s) to %1", nullptr, n).arg(dir), 5000);
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

void MainWindow::addRecentFile(const QString& path) {
  m_recentFiles.removeAll(path);
  m_recentFiles.prepend(path);
  while (m_recentFiles.size() > kRecentMax) m_recentFiles.removeLast();
  rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
  m_recentMenu->clear();
  for (const QString& path : m_recentFiles)
    m_recentMenu->addAction(QDir::toNativeSeparators(path), this,
                            [this, path] { openImage(path); });
  m_recentMenu->setEnabled(!m_recentFiles.isEmpty());
}

void MainWindow::updateTitle() {
  QString name = m_controller->sourcePath().isEmpty()
                     ? tr("Untitled")
                     : QFileInfo(m_controller->sourcePath()).fileName();
  if (!m_canvas->hasImage()) name.clear();
  setWindowTitle(
      name.isEmpty()
          ? tr("Blendiff")
          : tr("%1%2 — Blendiff").arg(name, m_controller->hasUnsavedChanges() ? "*" : ""));
}

void MainWindow::loadSettings() {
  QSettings s;
  restoreGeometry(s.value("window/geometry").toByteArray());
  restoreState(s.value("window/state").toByteArray());
  m_canvas->setBrushRadius(s.value("brush/radius", 24.0).toDouble());
  m_brushSize->setValue(qRound(m_canvas->brushRadius()));
  m_hardness->setValue(qRound(s.value("brush/hardness", 0.8).toDouble() * 100));
  m_opacity->setValue(qRound(s.value("overlay/opacity", 0.5).toDouble() * 100));
  m_params->setParams(readParams(s, m_params->params()));
  m_params->setRandomSeed(s.value("params/random_seed", false).toBool());
  m_prompt->setHistory(s.value("prompt/history").toStringList());
  m_recentFiles = s.value("recentFiles").toStringList();
  rebuildRecentMenu();
}

void MainWindow::saveSettings() {
  QSettings s;
  s.setValue("window/geometry", saveGeometry());
  s.setValue("window/state", saveState());
  s.setValue("brush/radius", m_canvas->brushRadius());
  s.setValue("brush/hardness", m_canvas->brushHardness());
  s.setValue("overlay/opacity", m_canvas->overlayOpacity());
  writeParams(s, m_params->params());
  if (m_controller->isPackReady()) s.setValue("params/pack", m_controller->pack().dir);
  s.setValue("params/random_seed", m_params->randomSeed());
  s.setValue("prompt/history", m_prompt->history());
  s.setValue("recentFiles", m_recentFiles);
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (m_askBeforeQuit && m_controller->hasUnsavedChanges()) {
    const auto answer = QMessageBox::question(
        this, tr("Unsaved edit"),
        tr("The image has an applied edit that was not exported. Export it before quitting?"),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Cancel) return event->ignore();
    if (answer == QMessageBox::Save) {
      exportDialog();
      if (m_controller->hasUnsavedChanges()) return event->ignore();
    }
  }
  m_controller->cancel();
  saveSettings();
  event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  if (event->mimeData()->hasUrls() || event->mimeData()->hasImage()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  const QMimeData* mime = event->mimeData();
  if (mime->hasUrls() && !mime->urls().isEmpty() && mime->urls().front().isLocalFile()) {
    openImage(mime->urls().front().toLocalFile());
  } else if (mime->hasImage()) {
    m_controller->setImage(
        qvariant_cast<QImage>(mime->imageData()).convertToFormat(QImage::Format_RGB888));
  }
  event->acceptProposedAction();
}

}  // namespace bd::gui
