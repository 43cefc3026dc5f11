// The parameters dock and the editor's settings, against every entry of the parameter
// table: each has a widget whose range is never narrower than the engine's, each value
// survives setParams/params and a QSettings round trip, and advanced entries fold away.
#include <QAbstractSpinBox>
#include <QDoubleSpinBox>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include "bd/edit_param_table.h"
#include "param_values.h"
#include "params_panel.h"
#include "params_settings.h"

using namespace bd;

namespace {

QString q(std::string_view s) { return QString::fromUtf8(s.data(), static_cast<int>(s.size())); }

QString first_difference(const EditParams& a, const EditParams& b) {
  for (const ParamSpec& spec : edit_param_table())
    if (spec.get(a) != spec.get(b)) return q(spec.key);
  return {};
}

// An edit as the GUI makes them: fewer skipped steps than steps, and DDIM's own
// spacing ("ddimN") when DDIM is chosen.
EditParams consistent(EditParams p) {
  p.timestep_respacing = p.ddim ? "ddim1000" : "1000";
  return p;
}

}  // namespace

class TestParamsPanel : public QObject {
  Q_OBJECT

 private slots:
  void everyParameterHasAnEditorWithItsWholeRange() {
    ui::ParamsPanel panel;
    panel.setParams(consistent(EditParams{}));
    for (const ParamSpec& spec : edit_param_table()) {
      QWidget* editor = panel.editorFor(q(spec.key));
      QVERIFY2(editor, spec.key.data());
      QCOMPARE(editor->toolTip(), q(spec.help));
      double lo = 0, hi = 0;
      if (auto* s = qobject_cast<QSpinBox*>(editor)) {
        lo = s->minimum();
        hi = s->maximum();
      } else if (auto* d = qobject_cast<QDoubleSpinBox*>(editor)) {
        lo = d->minimum();
        hi = d->maximum();
      } else {
        continue;
      }
      if (spec.widget == ParamWidget::Steps) continue;  // a count of the respacing's text
      QVERIFY2(lo <= spec.min && hi >= spec.max,
               qPrintable(QStringLiteral("%1: GUI [%2, %3], engine [%4, %5]")
                              .arg(q(spec.key)).arg(lo).arg(hi).arg(spec.min).arg(spec.max)));
    }
  }

  void everyParameterRoundTrips() {
    ui::ParamsPanel panel;
    for (const ParamSpec& spec : edit_param_table()) {
      EditParams changed = test::with_other_value(spec, consistent(EditParams{}));
      if (spec.widget != ParamWidget::Steps) changed = consistent(changed);
      panel.setParams(changed);
      QCOMPARE(first_difference(panel.params(), changed), QString());
    }
    // A pack default outside an old GUI range is shown, not clamped.
    EditParams wide = consistent(EditParams{});
    wide.grow_px = -512;
    wide.feather_px = 512;
    wide.iterations = 1000;
    wide.clip_lambda = 1e6;
    panel.setParams(wide);
    QCOMPARE(first_difference(panel.params(), wide), QString());
  }

  void respacingsTheStepsBoxCannotShowAreKept() {
    ui::ParamsPanel panel;
    EditParams p;
    p.timestep_respacing = "10,20,30";
    panel.setParams(p);
    QCOMPARE(QString::fromStdString(panel.params().timestep_respacing), QStringLiteral("10,20,30"));
    p.timestep_respacing = "ddim50";
    p.ddim = false;
    panel.setParams(p);
    QCOMPARE(panel.params().ddim, true);
    QCOMPARE(QString::fromStdString(panel.params().timestep_respacing), QStringLiteral("ddim50"));
  }

  void advancedEntriesFoldAway() {
    ui::ParamsPanel panel;
    panel.show();
    QVERIFY(!panel.advancedShown());
    for (const ParamSpec& spec : edit_param_table())
      QCOMPARE(panel.editorFor(q(spec.key))->isVisible(), spec.group == ParamGroup::Basic);
    panel.setAdvancedShown(true);
    for (const ParamSpec& spec : edit_param_table()) QVERIFY(panel.editorFor(q(spec.key))->isVisible());
  }

  void settingsKeepEveryParameter() {
    QTemporaryDir dir;
    for (const ParamSpec& spec : edit_param_table()) {
      QSettings s(dir.filePath(QStringLiteral("settings.ini")), QSettings::IniFormat);
      const EditParams changed = test::with_other_value(spec, EditParams{});
      ui::writeParams(s, changed);
      s.sync();
      QSettings back(dir.filePath(QStringLiteral("settings.ini")), QSettings::IniFormat);
      QCOMPARE(first_difference(ui::readParams(back, EditParams{}), changed), QString());
    }
  }

  void malformedSettingsFallBack() {
    QTemporaryDir dir;
    QSettings s(dir.filePath(QStringLiteral("settings.ini")), QSettings::IniFormat);
    s.setValue("params/batch_size", 0);           // out of range
    s.setValue("params/clip_lambda", "lots");     // not a number
    s.setValue("params/ddim", "maybe");           // not a switch
    s.setValue("params/padding", 0.5);            // fine
    EditParams base;
    base.batch_size = 3;
    const EditParams read = ui::readParams(s, base);
    QCOMPARE(read.batch_size, 3);
    QCOMPARE(read.clip_lambda, base.clip_lambda);
    QCOMPARE(read.ddim, base.ddim);
    QCOMPARE(read.padding, 0.5);
  }
};

QTEST_MAIN(TestParamsPanel)
#include "test_params_panel.moc"
