#pragma once
// The editor window: one Document, shown by the canvas in the middle and by the ranked
// gallery in a dock; prompt and progress above the canvas, the parameters in a dock,
// mask tools in a tool bar. It wires the widgets to the document and the EditController
// and keeps settings (layout, last pack, brush, parameters, prompt
// history, recent files) in QSettings.
#include <QMainWindow>
#include <QStringList>

#include "bd/edit_params.h"

class QAction;
class QLabel;
class QMenu;
class QPushButton;
class QSlider;
class QTimer;
class QFrame;

namespace bd::ui {
class CandidateGallery;
class CandidateModel;
class Document;
class EditProgressBar;
class MaskCanvas;
class ParamsPanel;
class PromptPanel;
}  // namespace bd::ui

namespace bd::gui {

class EditController;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(const QString& device = QStringLiteral("auto"), int threads = 0,
                      QWidget* parent = nullptr);
  ~MainWindow() override;

  bd::ui::Document* document() const { return m_document; }
  EditController* controller() const { return m_controller; }
  bd::ui::MaskCanvas* canvas() const { return m_canvas; }
  bd::ui::PromptPanel* promptPanel() const { return m_prompt; }
  bd::ui::ParamsPanel* paramsPanel() const { return m_params; }
  bd::ui::CandidateGallery* gallery() const { return m_gallery; }
  bd::ui::CandidateModel* candidateModel() const { return m_model; }

  // Loads the last pack, else the default (ToyWorld), else shows the "no pack" banner.
  void loadStartupPack(const QString& overrideDir = {});
  bool openImage(const QString& path);
  bool openSample();
  void setAskBeforeQuit(bool ask) { m_askBeforeQuit = ask; }

 public slots:
  void openImageDialog();
  void choosePackDialog();
  void exportDialog();
  void exportAllDialog();
  void pasteImage();

 protected:
  void closeEvent(QCloseEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  // main_window.cpp
  void buildLayout();
  void connectController();
  void updateTitle();
  void updateGenerateEnabled();
  void showError(const QString& title, const QString& kind, const QString& message);
  void showPackBanner(const QString& text);
  // main_window_actions.cpp
  void buildActions();
  // main_window_files.cpp
  static QString imageFileFilter();  // "Images (*.png *.jpg …)" for file dialogs
  void addRecentFile(const QString& path);
  void rebuildRecentMenu();
  // main_window_settings.cpp
  void loadSettings();
  void saveSettings();
  // main_window_compute.cpp
  void buildComputeMenu(const QString& commandLineDevice);
  void updateGpuMemory();
  bool confirmLongCpuEdit(const bd::EditParams& params);  // false: the user cancelled

  bd::ui::Document* m_document;
  bd::ui::MaskCanvas* m_canvas;
  bd::ui::CandidateModel* m_model;
  bd::ui::CandidateGallery* m_gallery;
  bd::ui::PromptPanel* m_prompt;
  bd::ui::ParamsPanel* m_params;
  bd::ui::EditProgressBar* m_progress;
  EditController* m_controller;

  QFrame* m_banner = nullptr;
  QLabel* m_bannerText = nullptr;
  QLabel* m_packLabel = nullptr;
  QLabel* m_zoomLabel = nullptr;
  QLabel* m_gpuLabel = nullptr;
  QTimer* m_gpuTimer = nullptr;
  QString m_device = QStringLiteral("auto");
  QString m_precision = QStringLiteral("auto");
  QSlider* m_brushSize = nullptr;
  QSlider* m_hardness = nullptr;
  QSlider* m_opacity = nullptr;
  QMenu* m_recentMenu = nullptr;
  QStringList m_recentFiles;
  bool m_askBeforeQuit = true;
  bool m_idleReason = false;  // the progress bar shows why Generate is disabled
};

}  // namespace bd::gui
