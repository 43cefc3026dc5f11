#pragma once
// The engine's options for one edit, with tooltips and a reset to the model pack's
// defaults. Reads and writes bd::EditParams (a torch-free value type).
#include <QWidget>

#include "bd/edit_params.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QSpinBox;

namespace bd::ui {

class ParamsPanel : public QWidget {
  Q_OBJECT

 public:
  explicit ParamsPanel(QWidget* parent = nullptr);

  // The values as shown. The seed is the fixed seed field even when "random" is on;
  // callers draw a new one per run with resolveSeed().
  bd::EditParams params() const;
  void setParams(const bd::EditParams& params);
  bool randomSeed() const;
  void setRandomSeed(bool random);
  // The params of the next run: a fresh random seed when "random" is on (shown in the
  // seed field, so it can be read back and fixed).
  bd::EditParams paramsForRun();

  void setDefaults(const bd::EditParams& defaults);  // what Reset restores
  bd::EditParams defaults() const { return m_defaults; }

  // "ddim50" <-> (50, DDIM); "100" <-> (100, DDPM). Other forms ("10,20") give -1 steps.
  static int respacingSteps(const std::string& respacing, bool* ddim = nullptr);

 public slots:
  void resetToDefaults();

 signals:
  void paramsChanged();

 private:
  void updateDerived();

  bd::EditParams m_defaults;
  std::string m_customRespacing;  // a respacing the spin box cannot show, kept as is
  QSpinBox* m_steps;
  QSpinBox* m_skip;
  QLabel* m_strength;
  QComboBox* m_sampler;
  QSpinBox* m_batch;
  QSpinBox* m_iterations;
  QLabel* m_candidates;
  QCheckBox* m_randomSeed;
  QSpinBox* m_seed;
  QSpinBox* m_augNum;
  QCheckBox* m_randomAug;
  QDoubleSpinBox* m_clipLambda;
  QDoubleSpinBox* m_rangeLambda;
  QDoubleSpinBox* m_padding;
  QSpinBox* m_grow;
  QSpinBox* m_feather;
  QSpinBox* m_previewEvery;
};

}  // namespace bd::ui
