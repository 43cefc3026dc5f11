// The latent method's DDIM scheduler against diffusers' DDIMScheduler as Blended Latent
// Diffusion builds it: the ᾱ table, the 50 inference timesteps (steps_offset 0 as the
// reference, 1 as the SD folders' configs), eight η = 0 steps from the 25 % the
// reference skips, and add_noise at each of them. Also DPM-Solver++(2M) against diffusers'
// DPMSolverMultistepScheduler made from an SD config: its σ table and timesteps, a run
// from the skipped 25 % (first order first, first order last), ε and v prediction.
#include <QtTest/QtTest>
#include <torch/torch.h>

#include "bd/error.h"
#include "diffusion/ddim_scheduler.h"
#include "diffusion/dpm_solver.h"
#include "io/tensor_file.h"
#include "test_support.h"

using namespace bd;

class TestLatentScheduler : public QObject {
  Q_OBJECT

 private slots:
  void matchesDiffusers_data() {
    QTest::addColumn<int>("offset");
    QTest::newRow("steps_offset 0 (the reference)") << 0;
    QTest::newRow("steps_offset 1 (SD configs)") << 1;
  }

  void matchesDiffusers() {
    QFETCH(int, offset);
    const std::string path = test::refvectors_dir() + "/sd_ddim_offset" + std::to_string(offset) + ".pt";
    const io::TensorFile ref = io::read_tensor_file(path);
    diffusion::LatentScheduleConfig config;
    config.steps_offset = offset;
    const diffusion::DdimScheduler s(config, 50);

    QVERIFY(test::relative_error(s.alphas_cumprod(), ref.at("alphas_cumprod")) < 1e-7);
    const torch::Tensor t_ref = ref.at("timesteps");
    QCOMPARE(static_cast<int64_t>(s.timesteps().size()), t_ref.numel());
    for (int64_t k = 0; k < t_ref.numel(); ++k) QCOMPARE(s.timesteps()[k], t_ref[k].item<int64_t>());

    torch::Tensor x = ref.at("start");
    const torch::Tensor source = ref.at("source");
    for (int k = 0; k < 8; ++k) {
      const std::string p = "step" + std::to_string(k) + ".";
      const int64_t t = s.timesteps()[12 + k];
      x = s.step(ref.at(p + "eps"), t, x);
      const double step_err = test::relative_error(x, ref.at(p + "prev"));
      const double noise_err = test::relative_error(s.add_noise(source, ref.at(p + "noise"), t), ref.at(p + "noised_source"));
      QVERIFY2(step_err < 1e-6, qPrintable(QString("step %1 (t %2): %3").arg(k).arg(t).arg(step_err)));
      QVERIFY2(noise_err < 1e-6, qPrintable(QString("add_noise %1: %2").arg(k).arg(noise_err)));
    }
  }

  void dpmSolverMatchesDiffusers_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("steps");
    QTest::addColumn<bool>("v");
    QTest::newRow("20 steps, epsilon") << "sd_dpmpp2m_20" << 20 << false;
    QTest::newRow("12 steps, v-prediction") << "sd_dpmpp2m_12_v" << 12 << true;
  }

  void dpmSolverMatchesDiffusers() {
    QFETCH(QString, name);
    QFETCH(int, steps);
    QFETCH(bool, v);
    const io::TensorFile ref = io::read_tensor_file(test::refvectors_dir() + "/" + name.toStdString() + ".pt");
    diffusion::LatentScheduleConfig config;
    config.steps_offset = 1;  // ignored by "linspace" spacing, as in the library
    if (v) config.prediction = diffusion::Prediction::VPrediction;
    auto scheduler = diffusion::make_latent_scheduler(diffusion::kDpmSolverName, config, steps);
    auto& s = dynamic_cast<diffusion::DpmSolverScheduler&>(*scheduler);
    const torch::Tensor t_ref = ref.at("timesteps");
    QCOMPARE(static_cast<int64_t>(s.timesteps().size()), t_ref.numel());
    for (int64_t k = 0; k < t_ref.numel(); ++k) QCOMPARE(s.timesteps()[k], t_ref[k].item<int64_t>());
    QVERIFY(test::relative_error(s.sigmas(), ref.at("sigmas")) < 1e-6);

    torch::Tensor x = ref.at("start");
    const torch::Tensor source = ref.at("source");
    const auto first = static_cast<std::size_t>(ref.at("first").item<int64_t>());
    for (std::size_t index = first, k = 0; index < s.timesteps().size(); ++index, ++k) {
      const std::string p = "step" + std::to_string(k) + ".";
      const int64_t t = s.timesteps()[index];
      x = s.step_at(index, ref.at(p + "out"), x);
      const double step_err = test::relative_error(x, ref.at(p + "prev"));
      const double noise_err = test::relative_error(s.add_noise(source, ref.at(p + "noise"), t), ref.at(p + "noised_source"));
      QVERIFY2(step_err < 1e-5, qPrintable(QString("step %1 (t %2): %3").arg(index).arg(t).arg(step_err)));
      QVERIFY2(noise_err < 1e-6, qPrintable(QString("add_noise %1: %2").arg(index).arg(noise_err)));
    }
  }

  void unknownSchedulerIsNamed() {
    try {
      diffusion::make_latent_scheduler("euler", {}, 20);
      QFAIL("accepted an unknown scheduler");
    } catch (const Error& e) {
      QVERIFY(QString(e.what()).contains("unknown scheduler 'euler' (known: ddim, dpm++2m)"));
    }
  }

  void badSettingsAreNamed() {
    diffusion::LatentScheduleConfig config;
    QVERIFY_THROWS_EXCEPTION(Error, diffusion::DdimScheduler(config, 0));
    QVERIFY_THROWS_EXCEPTION(Error, diffusion::DdimScheduler(config, 1001));
    config.beta_schedule = "cosine";
    try {
      diffusion::DdimScheduler(config, 50);
      QFAIL("accepted an unknown schedule");
    } catch (const Error& e) {
      QVERIFY(QString(e.what()).contains("unknown beta schedule 'cosine'"));
    }
    config.beta_schedule = "scaled_linear";
    config.steps_offset = 40;  // 49·20 + 40 > 999
    QVERIFY_THROWS_EXCEPTION(Error, diffusion::DdimScheduler(config, 50));
  }

  // x̂₀ of an ε-prediction inverts add_noise; v-prediction's too, for its own output.
  void predictionsInvertTheForwardProcess() {
    torch::manual_seed(1);
    const torch::Tensor x0 = torch::randn({1, 4, 4, 4}), noise = torch::randn({1, 4, 4, 4});
    diffusion::LatentScheduleConfig config;
    const diffusion::DdimScheduler eps(config, 50);
    const int64_t t = 501;
    const torch::Tensor xt = eps.add_noise(x0, noise, t);
    QVERIFY(test::relative_error(eps.pred_original(noise, t, xt), x0) < 1e-5);
    config.prediction = diffusion::Prediction::VPrediction;
    const diffusion::DdimScheduler v(config, 50);
    const torch::Tensor a = v.alphas_cumprod()[t];
    const torch::Tensor v_target = a.sqrt() * noise - (1 - a).sqrt() * x0;
    QVERIFY(test::relative_error(v.pred_original(v_target, t, xt), x0) < 1e-5);
  }
};

QTEST_GUILESS_MAIN(TestLatentScheduler)
#include "test_latent_scheduler.moc"
