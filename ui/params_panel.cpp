#include "params_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace bd::ui {

namespace {

QString qs(std::string_view s) { return QString::fromUtf8(s.data(), static_cast<int>(s.size())); }

std::int64_t intOf(const bd::ParamValue& v) { return std::get<std::int64_t>(v); }

}  // namespace

int ParamsPanel::respacingSteps(const std::string& respacing, bool* ddim) {
  std::string digits = respacing;
  const bool isDdim = digits.rfind("ddim", 0) == 0;
  if (isDdim) digits = digits.substr(4);
  if (ddim) *ddim = isDdim;
  if (digits.empty() || digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoi(digits);
}

ParamsPanel::Field ParamsPanel::makeField(const bd::ParamSpec& spec) {
  Field f;
  f.spec = &spec;
  const QString unit = spec.unit.empty() ? QString() : QStringLiteral(" ") + qs(spec.unit);
  switch (spec.widget) {
    case bd::ParamWidget::Spin: {
      auto* s = new QSpinBox(this);
      s->setRange(static_cast<int>(spec.min), static_cast<int>(spec.max));
      s->setSuffix(unit);
      s->setKeyboardTracking(false);
      connect(s, &QSpinBox::valueChanged, this, &ParamsPanel::changed);
      f.read = [s, &spec](bd::EditParams& p) { spec.set(p, bd::ParamValue{std::int64_t{s->value()}}); };
      f.show = [s, &spec](const bd::EditParams& p) { s->setValue(static_cast<int>(intOf(spec.get(p)))); };
      f.editor = s;
      break;
    }
    case bd::ParamWidget::DoubleSpin:
    case bd::ParamWidget::Seed: {
      // The seed too: a QSpinBox stops at 2^31, seeds go to 2^53 (exact in a double).
      auto* s = new QDoubleSpinBox(this);
      s->setRange(spec.min, spec.max);
      s->setDecimals(spec.decimals);
      s->setSingleStep(spec.step);
      s->setSuffix(unit);
      s->setKeyboardTracking(false);
      connect(s, &QDoubleSpinBox::valueChanged, this, &ParamsPanel::changed);
      if (spec.type == bd::ParamType::Int) {
        f.read = [s, &spec](bd::EditParams& p) { spec.set(p, bd::ParamValue{std::int64_t(s->value())}); };
        f.show = [s, &spec](const bd::EditParams& p) { s->setValue(double(intOf(spec.get(p)))); };
      } else {
        f.read = [s, &spec](bd::EditParams& p) { spec.set(p, bd::ParamValue{s->value()}); };
        f.show = [s, &spec](const bd::EditParams& p) { s->setValue(std::get<double>(spec.get(p))); };
      }
      f.editor = s;
      break;
    }
    case bd::ParamWidget::Check: {
      auto* c = new QCheckBox(qs(spec.label), this);
      connect(c, &QCheckBox::toggled, this, &ParamsPanel::changed);
      f.read = [c, &spec](bd::EditParams& p) { spec.set(p, bd::ParamValue{c->isChecked()}); };
      f.show = [c, &spec](const bd::EditParams& p) { c->setChecked(std::get<bool>(spec.get(p))); };
      f.editor = c;
      break;
    }
    case bd::ParamWidget::Choice: {
      auto* c = new QComboBox(this);
      c->addItems({qs(spec.off_text), qs(spec.on_text)});
      connect(c, &QComboBox::currentIndexChanged, this, &ParamsPanel::changed);
      f.read = [c, &spec](bd::EditParams& p) { spec.set(p, bd::ParamValue{c->currentIndex() == 1}); };
      f.show = [c, &spec](const bd::EditParams& p) { c->setCurrentIndex(std::get<bool>(spec.get(p)) ? 1 : 0); };
      f.editor = c;
      break;
    }
    case bd::ParamWidget::Steps: {
      // A step count; DDIM's "ddimN" form follows the sampler. A respacing the box cannot
      // show ("10,20,30") is kept as it is until the count is changed.
      auto* s = new QSpinBox(this);
      s->setRange(1, 1000);
      s->setKeyboardTracking(false);
      connect(s, &QSpinBox::valueChanged, this, [this] {
        m_customRespacing.clear();
        changed();
      });
      f.read = [this, s](bd::EditParams& p) {
        p.timestep_respacing =
            !m_customRespacing.empty() ? m_customRespacing : (p.ddim ? "ddim" : "") + std::to_string(s->value());
      };
      f.show = [this, s](const bd::EditParams& p) {
        const int steps = respacingSteps(p.timestep_respacing);
        m_customRespacing = steps < 0 ? p.timestep_respacing : std::string();
        s->setValue(steps < 0 ? 100 : steps);
      };
      m_steps = s;
      f.editor = s;
      break;
    }
  }
  f.editor->setToolTip(qs(spec.help));
  f.editor->setObjectName(qs(spec.key));
  return f;
}

ParamsPanel::ParamsPanel(QWidget* parent) : QWidget(parent) {
  auto* outer = new QVBoxLayout(this);
  auto* basic = new QFormLayout;
  basic->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  m_advanced = new QWidget(this);
  auto* advanced = new QFormLayout(m_advanced);
  advanced->setContentsMargins(0, 0, 0, 0);
  advanced->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);

  for (const bd::ParamSpec& spec : bd::edit_param_table()) {
    Field f = makeField(spec);
    QFormLayout* form = spec.group == bd::ParamGroup::Basic ? basic : advanced;
    QWidget* editor = f.editor;
    QHBoxLayout* row = nullptr;
    auto extend = [&](QWidget* extra) {
      row = new QHBoxLayout;
      row->addWidget(editor, 1);
      row->addWidget(extra);
    };
    if (spec.key == "skip_timesteps") {
      m_skip = static_cast<QSpinBox*>(editor);  // a Spin entry
      m_strength = new QLabel(this);
      extend(m_strength);
    } else if (spec.key == "iterations") {
      m_candidates = new QLabel(this);
      extend(m_candidates);
    } else if (spec.widget == bd::ParamWidget::Seed) {
      m_seed = editor;
      m_randomSeed = new QCheckBox(tr("Random"), this);
      m_randomSeed->setToolTip(tr("Draw a new seed for every run. Off: the fixed seed reproduces the same candidates."));
      connect(m_randomSeed, &QCheckBox::toggled, this, [this](bool random) {
        m_seed->setEnabled(!random);
        emit paramsChanged();
      });
      extend(m_randomSeed);
    }
    const QString label = spec.widget == bd::ParamWidget::Check ? QString() : qs(spec.label);
    if (row)
      form->addRow(label, row);
    else
      form->addRow(label, editor);
    m_fields.push_back(std::move(f));
  }

  m_advancedToggle = new QToolButton(this);
  m_advancedToggle->setText(tr("Advanced"));
  m_advancedToggle->setCheckable(true);
  m_advancedToggle->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  m_advancedToggle->setArrowType(Qt::RightArrow);
  m_advancedToggle->setAutoRaise(true);
  m_advancedToggle->setToolTip(tr("The method's finer controls and its ablations"));
  connect(m_advancedToggle, &QToolButton::toggled, this, &ParamsPanel::setAdvancedShown);

  auto* reset = new QPushButton(tr("Reset to the pack's defaults"), this);
  reset->setToolTip(tr("Restore the values the model pack recommends"));
  connect(reset, &QPushButton::clicked, this, &ParamsPanel::resetToDefaults);

  outer->addLayout(basic);
  outer->addWidget(m_advancedToggle);
  outer->addWidget(m_advanced);
  outer->addWidget(reset);
  outer->addStretch(1);
  setAdvancedShown(false);

  setDefaults(bd::EditParams{});
  resetToDefaults();
}

QWidget* ParamsPanel::editorFor(const QString& key) const {
  for (const Field& f : m_fields)
    if (qs(f.spec->key) == key) return f.editor;
  return nullptr;
}

bool ParamsPanel::advancedShown() const { return m_advancedToggle->isChecked(); }

void ParamsPanel::setAdvancedShown(bool shown) {
  const QSignalBlocker block(m_advancedToggle);
  m_advancedToggle->setChecked(shown);
  m_advancedToggle->setArrowType(shown ? Qt::DownArrow : Qt::RightArrow);
  m_advanced->setVisible(shown);
}

bd::EditParams ParamsPanel::params() const {
  bd::EditParams p = m_defaults;
  // The steps field writes "ddimN" when DDIM is chosen, so it reads after the sampler.
  for (const Field& f : m_fields)
    if (f.spec->widget != bd::ParamWidget::Steps) f.read(p);
  for (const Field& f : m_fields)
    if (f.spec->widget == bd::ParamWidget::Steps) f.read(p);
  return p;
}

void ParamsPanel::setParams(const bd::EditParams& given) {
  bd::EditParams p = given;
  bool ddimRespacing = false;
  respacingSteps(p.timestep_respacing, &ddimRespacing);
  p.ddim = p.ddim || ddimRespacing;  // "ddim50" means DDIM whatever the flag says
  m_skip->setMaximum(static_cast<int>(bd::edit_param("skip_timesteps").max));  // until the steps are shown
  {
    std::vector<QSignalBlocker> blockers;
    blockers.reserve(m_fields.size());
    for (const Field& f : m_fields) blockers.emplace_back(f.editor);
    for (const Field& f : m_fields) f.show(p);
  }
  updateDerived();
  emit paramsChanged();
}

bool ParamsPanel::randomSeed() const { return m_randomSeed->isChecked(); }
void ParamsPanel::setRandomSeed(bool random) { m_randomSeed->setChecked(random); }

bd::EditParams ParamsPanel::paramsForRun() {
  if (randomSeed()) {
    bd::EditParams p = params();
    p.seed = QRandomGenerator::global()->bounded(1, 1 << 30);
    const QSignalBlocker block(m_seed);
    for (const Field& f : m_fields)
      if (f.editor == m_seed) f.show(p);
  }
  return params();
}

void ParamsPanel::setDefaults(const bd::EditParams& defaults) { m_defaults = defaults; }

void ParamsPanel::resetToDefaults() { setParams(m_defaults); }

void ParamsPanel::changed() {
  updateDerived();
  emit paramsChanged();
}

void ParamsPanel::updateDerived() {
  const bd::EditParams p = params();
  // Fewer skipped steps than steps: the engine refuses the rest.
  m_skip->setMaximum(std::max(0, m_steps->value() - 1));
  const double strength = 1.0 - double(m_skip->value()) / std::max(1, m_steps->value());
  m_strength->setText(tr("strength %1 %").arg(qRound(strength * 100)));
  m_candidates->setText(tr("= %1 candidates").arg(p.batch_size * p.iterations));
}

}  // namespace bd::ui
