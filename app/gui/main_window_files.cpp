// MainWindow's document files: open (dialog, recent files, drag and drop, paste, the
// sample scene), export of the shown image and of all candidates, and the questions
// before quitting with an applied edit that was not exported (and, in
// main_window_history.cpp, with candidates neither exported nor applied).
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMenu>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QStatusBar>

#include "bd/paths.h"
#include "document.h"
#include "edit_controller.h"
#include "history_keeper.h"
#include "main_window.h"
#include "mask_canvas.h"
#include "prompt_panel.h"

namespace bd::gui {

namespace {

constexpr int kRecentMax = 10;
const QStringList kImageFilters = {QStringLiteral("*.png"),  QStringLiteral("*.jpg"),
                                   QStringLiteral("*.jpeg"), QStringLiteral("*.webp"),
                                   QStringLiteral("*.tif"),  QStringLiteral("*.tiff"),
                                   QStringLiteral("*.bmp")};

}  // namespace

QString MainWindow::imageFileFilter() { return tr("Images (%1)").arg(kImageFilters.join(' ')); }

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
        m_document->loadMask(dir.filePath(mask));
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
  const QString path = QFileDialog::getOpenFileName(
      this, tr("Open image"), QSettings().value("lastDir").toString(), imageFileFilter());
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

void MainWindow::exportDialog() {
  if (!m_document->hasImage()) return;
  const QString source = m_document->sourcePath();
  const QString base =
      source.isEmpty() ? QStringLiteral("edit") : QFileInfo(source).completeBaseName() + "_edit";
  QString path = QFileDialog::getSaveFileName(
      this, tr("Export shown image"),
      QDir(QSettings().value("lastExportDir").toString()).filePath(base + ".png"),
      tr("PNG with parameters (*.png);;JPEG (*.jpg *.jpeg);;WebP (*.webp)"));
  if (path.isEmpty()) return;
  if (QFileInfo(path).suffix().isEmpty()) path += QStringLiteral(".png");
  QSettings().setValue("lastExportDir", QFileInfo(path).absolutePath());
  bool overwriteSource = false;
  if (m_document->isSourcePath(path)) {
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
  if (m_document->candidates().isEmpty()) return;
  const QString dir = QFileDialog::getExistingDirectory(
      this, tr("Export all candidates to"), QSettings().value("lastExportDir").toString());
  if (dir.isEmpty()) return;
  const int n = m_controller->exportAllCandidates(dir);
  if (n >= 0)
    statusBar()->showMessage(tr("Exported %n candidate(s) to %1", nullptr, n).arg(dir), 5000);
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

void MainWindow::closeEvent(QCloseEvent* event) {
  if (m_askBeforeQuit && m_document->isModified()) {
    const auto answer = QMessageBox::question(
        this, tr("Unsaved edit"),
        tr("The image has an applied edit that was not exported. Export it before quitting?"),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Cancel) return event->ignore();
    if (answer == QMessageBox::Save) {
      exportDialog();
      if (m_document->isModified()) return event->ignore();
    }
  }
  if (!confirmQuitWithUnkeptCandidates()) return event->ignore();
  m_controller->clearQueue();
  m_controller->cancel();
  m_history->flush();
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
