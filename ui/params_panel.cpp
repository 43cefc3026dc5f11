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
#include <limits>

namespace bd::ui {

namespace {

QSpinBox* spin(QWidget* parent, int lo, int hi, const QString& tip, const QString& suffix = {}) {
  auto* s = new QSpinBox(parent);
  s->setRange(lo, hi);
  s->setToolTip(tip);
  s->setSuffix(suffix);
  s->setKeyboardTracking(false);
  return s;
}

QDoubleSpinBox* dspin(QWidget* parent, double lo, double hi, double step, int decimals,
                      const QString& tip) {
  auto* s = new QDoubleSpinBox(parent);
  s->setRange(lo, hi);
  s->setSingleStep(step);
  s->setDecimals(decimals);
  s->setToolTip(tip);
  s->setKeyboardTracking(false);
  return s;
}

}  // namespace

int ParamsPanel::respacingSteps(const std::string& respacing, bool* ddim) {
  std::string digits = respacing;
  const bool isDdim = digits.rfind("ddim", 0) == 0;
  if (isDdim) digits = digits.substr(4);
  if (ddim) *ddim = isDdim;
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoi(digits);
}

ParamsPanel::ParamsPanel(QWidget* parent) : QWidget(parent) {
  auto* form = new QFormLayout(this);
  form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);

  m_steps = spin(this, 2, 1000,
                 tr("Diffusion steps after respacing (timestep_respacing). More steps: slower, "
                    "often cleaner."));
  m_skip = spin(this, 0, 999,
                tr("Steps skipped at the start (skip_timesteps): the edit strength. Fewer skipped "
                   "steps change the region more; more keep more of the original."));
  m_strength = new QLabel(this);
  auto* skipRow = new QHBoxLayout;
  skipRow->addWidget(m_skip, 1);
  skipRow->addWidget(m_strength);
  m_sampler = new QComboBox(this);
  m_sampler->addItems({QStringLiteral("DDPM"), QStringLiteral("DDIM")});
  m_sampler->setToolTip(
      tr("DDPM: the paper's stochastic sampler. DDIM: deterministic steps; "
         "use it with fewer steps."));
  m_batch = spin(this, 1, 64, tr("Candidates made together in one batch (memory grows with it)"));
  m_iterations = spin(this, 1, 100, tr("Batches run one after another"));
  m_candidates = new QLabel(this);
  auto* countRow = new QHBoxLayout;
  countRow->addWidget(m_batch, 1);
  countRow->addWidget(new QLabel(QStringLiteral("×"), this));
  countRow->addWidget(m_iterations, 1);
  countRow->addWidget(m_candidates);

  m_randomSeed = new QCheckBox(tr("Random"), this);
  m_randomSeed->setToolTip(
      tr("Draw a new seed for every run. Off: the fixed seed reproduces the same candidates."));
  m_seed = spin(this, 0, std::numeric_limits<int>::max(),
                tr("Seed of the first candidate; candidate k uses seed + k, "
                   "so each is reproducible alone."));
  auto* seedRow = new QHBoxLayout;
  seedRow->addWidget(m_seed, 1);
  seedRow->addWidget(m_randomSeed);

  m_augNum = spin(this, 1, 64,
                  tr("Views of the region CLIP sees per candidate and step (aug_num); the first is "
                     "plain, the others randomly cropped and flipped."));
  m_randomAug = new QCheckBox(tr("Random augmentations"), this);
  m_randomAug->setToolTip(
      tr("Off: every view is the plain region (weaker against adversarial patterns)"));
  m_clipLambda = dspin(this, 0, 100000, 50, 1,
                       tr("Weight of the CLIP text guidance (clip_guidance_lambda). Too high "
                          "floods the mask with saturated patches."));
  m_rangeLambda = dspin(this, 0, 100000, 10, 1,
                        tr("Weight of the loss keeping pixel values in range (range_lambda)"));
  m_padding = dspin(this, 0, 4, 0.05, 2,
                    tr("Context around the mask, as a fraction of the mask's box, cropped and "
                       "resized to the model's size"));
  m_grow = spin(this, 0, 512, tr("Grow the mask by this many pixels before editing"), tr(" px"));
  m_feather =
      spin(this, 0, 256, tr("Soft edge when pasting the result onto the original"), tr(" px"));
  m_previewEvery =
      spin(this, 0, 100, tr("Show the predicted result every N steps (0: no preview)"));

  auto* reset = new QPushButton(tr("Reset to the pack's defaults"), this);
  reset->setToolTip(tr("Restore the values the model pack recommends"));

  form->addRow(tr("Steps"), m_steps);
  form->addRow(tr("Skip steps"), skipRow);
  form->addRow(tr("Sampler"), m_sampler);
  form->addRow(tr("Candidates"), countRow);
  form->addRow(tr("Seed"), seedRow);
  form->addRow(tr("CLIP views"), m_augNum);
  form->addRow(QString(), m_randomAug);
  form->addRow(tr("CLIP weight"), m_clipLambda);
  form->addRow(tr("Range weight"), m_rangeLambda);
  form->addRow(tr("Padding"), m_padding);
  form->addRow(tr("Grow mask"), m_grow);
  form->addRow(tr("Feather"), m_feather);
  form->addRow(tr("Preview every"), m_previewEvery);
  form->addRow(reset);

  connect(reset, &QPushButton::clicked, this, &ParamsPanel::resetToDefaults);
  for (QSpinBox* s : {m_steps, m_skip, m_batch, m_iterations, m_seed, m_augNum, m_grow, m_feather,
                      m_previewEvery})
    connect(s, &QSpinBox::valueChanged, this, [this] {
      updateDerived();
      emit paramsChanged();
    });
  connect(m_steps, &QSpinBox::valueChanged, this, [this] { m_customRespacing.clear(); });
  for (QDoubleSpinBox* s : {m_clipLambda, m_rangeLambda, m_padding})
    connect(s, &QDoubleSpinBox::valueChanged, this, &ParamsPanel::paramsChanged);
  for (QCheckBox* c : {m_randomSeed, m_randomAug})
    connect(c, &QCheckBox::toggled, this, &ParamsPanel::paramsChanged);
  connect(m_randomSeed, &QCheckBox::toggled, m_seed,
          [this](bool random) { m_seed->setEnabled(!random); });
  connect(m_sampler, &QComboBox::currentIndexChanged, this, &ParamsPanel::paramsChanged);

  m_randomSeed->setChecked(false);
  setDefaults(bd::EditParams{});
  resetToDefaults();
}

bd::EditParams ParamsPanel::params() const {
  bd::EditParams p = m_defaults;  // fields the panel does not show keep the pack's values
  p.ddim = m_sampler->currentIndex() == 1;
  p.timestep_respacing = !m_customRespacing.empty()
                             ? m_customRespacing
                             : (p.ddim ? "ddim" : "") + std::to_string(m_steps->value());
  p.skip_timesteps = m_skip->value();
  p.batch_size = m_batch->value();
  p.iterations = m_iterations->value();
  p.seed = static_cast<std::uint64_t>(m_seed->value());
  p.aug_num = m_augNum->value();
  p.random_augmentations = m_randomAug->isChecked();
  p.clip_lambda = m_clipLambda->value();
  p.range_lambda = m_rangeLambda->value();
  p.padding = m_padding->value();
  p.grow_px = m_grow->value();
  p.feather_px = m_feather->value();
  p.preview_every = m_previewEvery->value();
  return p;
}

void ParamsPanel::setParams(const bd::EditParams& p) {
  {
    const QSignalBlocker blockers[] = {
        QSignalBlocker(m_steps),       QSignalBlocker(m_skip),        QSignalBlocker(m_sampler),
        QSignalBlocker(m_batch),       QSignalBlocker(m_iterations),  QSignalBlocker(m_seed),
        QSignalBlocker(m_augNum),      QSignalBlocker(m_randomAug),   QSignalBlocker(m_clipLambda),
        QSignalBlocker(m_rangeLambda), QSignalBlocker(m_padding),     QSignalBlocker(m_grow),
        QSignalBlocker(m_feather),     QSignalBlocker(m_previewEvery)};
    bool ddim = p.ddim;
    const int steps = respacingSteps(p.timestep_respacing, &ddim);
    m_customRespacing = steps < 0 ? p.timestep_respacing : std::string();
    m_steps->setValue(steps < 0 ? 100 : steps);
    m_skip->setMaximum(std::max(0, m_steps->value() - 1));
    m_sampler->setCurrentIndex(ddim || p.ddim ? 1 : 0);
    m_skip->setValue(p.skip_timesteps);
    m_batch->setValue(p.batch_size);
    m_iterations->setValue(p.iterations);
    m_seed->setValue(
        static_cast<int>(std::min<std::uint64_t>(p.seed, std::numeric_limits<int>::max())));
    m_augNum->setValue(p.aug_num);
    m_randomAug->setChecked(p.random_augmentations);
    m_clipLambda->setValue(p.clip_lambda);
    m_rangeLambda->setValue(p.range_lambda);
    m_padding->setValue(p.padding);
    m_grow->setValue(p.grow_px);
    m_feather->setValue(p.feather_px);
    m_previewEvery->setValue(p.preview_every);
  }
  updateDerived();
  emit paramsChanged();
}

bool ParamsPanel::randomSeed() const { return m_randomSeed->isChecked(); }
void ParamsPanel::setRandomSeed(bool random) { m_randomSeed->setChecked(random); }

bd::EditParams ParamsPanel::paramsForRun() {
  if (randomSeed()) {
    const QSignalBlocker block(m_seed);
    m_seed->setValue(static_cast<int>(QRandomGenerator::global()->bounded(1, 1 << 30)));
  }
  return params();
}

void ParamsPanel::setDefaults(const bd::EditParams& defaults) { m_defaults = defaults; }

void ParamsPanel::resetToDefaults() { setParams(m_defaults); }

void ParamsPanel::updateDerived() {
  m_skip->setMaximum(std::max(0, m_steps->value() - 1));
  const double strength = 1.0 - double(m_skip->value()) / std::max(1, m_steps->value());
  m_strength->setText(tr("strength %1 %").arg(qRound(strength * 100)));
  m_candidates->setText(tr("= %1").arg(m_batch->value() * m_iterations->value()));
}

}  // namespace bd::ui
