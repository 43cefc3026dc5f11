// MainWindow's menus and the mask tool bar: the actions, their shortcuts and tooltips,
// wired to the canvas, the undo stack and the window's file commands.
#include <QAction>
#include <QActionGroup>
#include <QFileDialog>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QSlider>
#include <QToolBar>
#include <QUndoStack>

#include "bd/paths.h"
#include "document.h"
#include "main_window.h"
#include "mask_canvas.h"

namespace bd::gui {

namespace {

QSlider* slider(int lo, int hi, const QString& tip) {
  auto* s = new QSlider(Qt::Horizontal);
  s->setRange(lo, hi);
  s->setToolTip(tip);
  s->setMaximumWidth(110);
  return s;
}

}  // namespace

void MainWindow::buildActions() {
  QUndoStack* undo = m_document->undoStack();

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
    const QString path = QFileDialog::getOpenFileName(this, tr("Load mask"), {}, imageFileFilter());
    QString error;
    if (!path.isEmpty() && !m_document->loadMask(path, &error))
      showError(tr("Cannot load the mask"), "InvalidInput", error);
  });
  file->addAction(tr("Sa&ve Mask…"), this, [this] {
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Save mask"), QStringLiteral("mask.png"), tr("PNG (*.png)"));
    QString error;
    if (!path.isEmpty() && !m_document->saveMask(path, &error))
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
  addTool(tr("Lasso"), tr("Drag around a region to fill it; right button to clear (L)"),
          QKeySequence(Qt::Key_L), bd::ui::MaskCanvas::Tool::Lasso);
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
  QAction* invert = mask->addAction(tr("&Invert"), QKeySequence(Qt::CTRL | Qt::Key_I), m_document,
                                    &bd::ui::Document::invertMask);
  QAction* clear =
      mask->addAction(tr("&Clear"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Delete), m_document,
                      &bd::ui::Document::clearMask);
  QAction* grow = mask->addAction(tr("&Grow…"), this, [this] {
    bool ok = false;
    const int px = QInputDialog::getInt(this, tr("Grow mask"), tr("Pixels:"), 8, 1, 500, 1, &ok);
    if (ok) m_document->growMask(px);
  });
  QAction* shrink = mask->addAction(tr("S&hrink…"), this, [this] {
    bool ok = false;
    const int px = QInputDialog::getInt(this, tr("Shrink mask"), tr("Pixels:"), 8, 1, 500, 1, &ok);
    if (ok) m_document->growMask(-px);
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

}  // namespace bd::gui
