#pragma once
// The engine's options for one edit, built from the parameter table
// (bd/edit_param_table.h): basic ones first, the rest under "Advanced", each with its
// help as tooltip and its full range, and a reset to the model pack's defaults.
#include <QWidget>
#include <functional>
#include <vector>

#include "bd/edit_param_table.h"

class QCheckBox;
class QLabel;
class QSpinBox;
class QToolButton;

namespace bd::ui {

class ParamsPanel : public QWidget {
  Q_OBJECT

 public:
  explicit ParamsPanel(QWidget* parent = nullptr);

  // The values as shown. The seed is the fixed seed field even when "random" is on;
  // callers draw a new one per run with paramsForRun().
  bd::EditParams params() const;
  void setParams(const bd::EditParams& params);
  bool randomSeed() const;
  void setRandomSeed(bool random);
  // The params of the next run: a fresh random seed when "random" is on (shown in the
  // seed field, so it can be read back and fixed).
  bd::EditParams paramsForRun();

  void setDefaults(const bd::EditParams& defaults);  // what Reset restores
  bd::EditParams defaults() const { return m_defaults; }

  // The widget showing a parameter (its key in the table); null when it has none.
  QWidget* editorFor(const QString& key) const;
  bool advancedShown() const;
  void setAdvancedShown(bool shown);

  // "ddim50" <-> (50, DDIM); "100" <-> (100, DDPM). Other forms ("10,20") give -1 steps.
  static int respacingSteps(const std::string& respacing, bool* ddim = nullptr);

 public slots:
  void resetToDefaults();

 signals:
  void paramsChanged();

 private:
  // One table entry's widget, and how it reads and shows the entry's value.
  struct Field {
    const bd::ParamSpec* spec = nullptr;
    QWidget* editor = nullptr;
    std::function<void(bd::EditParams&)> read;
    std::function<void(const bd::EditParams&)> show;
  };
  Field makeField(const bd::ParamSpec& spec);
  void updateDerived();
  void changed();

  bd::EditParams m_defaults;
  std::vector<Field> m_fields;
  std::string m_customRespacing;  // a respacing the steps box cannot show, kept as is
  QSpinBox* m_steps = nullptr;
  QSpinBox* m_skip = nullptr;
  QLabel* m_strength = nullptr;
  QLabel* m_candidates = nullptr;
  QCheckBox* m_randomSeed = nullptr;
  QWidget* m_seed = nullptr;
  QToolButton* m_advancedToggle = nullptr;
  QWidget* m_advanced = nullptr;
};

}  // namespace bd::ui
