// MainWindow's session state in QSettings: window layout, brush and overlay, the
// parameters (with the pack they were tuned for), prompt history and recent files.
#include <QSettings>
#include <QSlider>

#include "edit_controller.h"
#include "main_window.h"
#include "mask_canvas.h"
#include "params_panel.h"
#include "params_settings.h"
#include "prompt_panel.h"

namespace bd::gui {

void MainWindow::loadSettings() {
  QSettings s;
  restoreGeometry(s.value("window/geometry").toByteArray());
  restoreState(s.value("window/state").toByteArray());
  m_canvas->setBrushRadius(s.value("brush/radius", 24.0).toDouble());
  m_brushSize->setValue(qRound(m_canvas->brushRadius()));
  m_hardness->setValue(qRound(s.value("brush/hardness", 0.8).toDouble() * 100));
  m_opacity->setValue(qRound(s.value("overlay/opacity", 0.5).toDouble() * 100));
  m_params->setParams(bd::ui::readParams(s, m_params->params()));
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
  bd::ui::writeParams(s, m_params->params());
  if (m_controller->isPackReady()) s.setValue("params/pack", m_controller->pack().dir);
  s.setValue("params/random_seed", m_params->randomSeed());
  s.setValue("prompt/history", m_prompt->history());
  s.setValue("recentFiles", m_recentFiles);
}

}  // namespace bd::gui
