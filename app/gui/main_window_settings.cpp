// MainWindow's session state in QSettings: window layout, brush and overlay, the
// parameters (with the pack they were tuned for), prompt history and recent files.
#include <QSettings>
#include <QSlider>
#include <type_traits>

#include "edit_controller.h"
#include "main_window.h"
#include "mask_canvas.h"
#include "params_panel.h"
#include "prompt_panel.h"

namespace bd::gui {

namespace {

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

}  // namespace

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

}  // namespace bd::gui
