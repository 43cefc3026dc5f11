#pragma once
// The editor window: one Document, shown by the canvas in the middle, by the ranked
// gallery and the History panel in docks; prompt and progress above the canvas, the
// parameters in a dock, mask tools in a tool bar, the queue indicator in the status bar.
// It wires the widgets to the document and the EditController, keeps the history store
// and the crash-recovery snapshot in step with the document, and keeps settings (layout,
// last pack, brush, parameters, prompt history, recent files) in QSettings.
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
class HistoryKeeper;
class HistoryPanel;
class MaskCanvas;
class ParamsPanel;
class PromptPanel;
class QueueButton;
class RecoveryStore;
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
  bd::ui::HistoryPanel* historyPanel() const { return m_historyPanel; }
  bd::ui::HistoryKeeper* history() const { return m_history; }
  bd::ui::RecoveryStore* recovery() const { return m_recovery; }
  bd::ui::QueueButton* queueButton() const { return m_queueButton; }

  // Loads the last pack, else the default (ToyWorld), else shows the "no pack" banner.
  void loadStartupPack(const QString& overrideDir = {});
  bool openImage(const QString& path);
  bool openSample();
  void setAskBeforeQuit(bool ask) { m_askBeforeQuit = ask; }
  // After a session that ended without a clean exit: asks whether to restore its image,
  // mask and scribbles. True when they were restored.
  bool offerRecovery();

 public slots:
  void openImageDialog();
  void choosePackDialog();
  void exportDialog();
  void exportAllDialog();
  void exportCandidateDialog(int job, int row);
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
  // main_window_history.cpp
  void buildHistory();
  bool confirmQuitWithUnkeptCandidates();  // false: the user cancelled
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
  bd::ui::HistoryKeeper* m_history = nullptr;
  bd::ui::HistoryPanel* m_historyPanel = nullptr;
  bd::ui::RecoveryStore* m_recovery = nullptr;
  bd::ui::QueueButton* m_queueButton = nullptr;

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
