// The whole Blended Diffusion loop against omriav/blended-diffusion, run with small
// random models and recorded noise (blended_*.pt): the unguided variant e1 and the
// guided variant e2 (identity augmentations), free-running and step by step; the final
// uint8 images and the ranking distances. Settings come from the sidecar JSON.
#include <QtTest/QtTest>
#include <torch/torch.h>

#include <filesystem>

#include "blended_fixture.h"
#include "editing/guidance.h"
#include "editing/ranking.h"
#include "editing/noise.h"
#include "test_support.h"

using namespace bd;

class TestBlended : public QObject {
  Q_OBJECT
 private slots:
  void trajectoryMatchesReference_data() {
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("variant");
    QTest::addColumn<double>("tolerance");
    const auto files = test::reference_files("blended_");
    if (files.empty()) QSKIP("no blended_*.pt reference vectors");
    for (const auto& p : files) {
      const nlohmann::json meta = test::read_sidecar(p);  // must outlive the loop below
      for (auto& [name, v] : meta.at("variants").items()) {
        const bool guided = !v.at("args").at("prompt").get<std::string>().empty();
        // Float noise of the original itself: ~5e-7 unguided, ~1e-4 guided (random models
        // make |x| grow to 25-100 inside the mask).
        QTest::newRow((std::filesystem::path(p).filename().string() + " " + name).c_str())
            << QString::fromStdString(p) << QString::fromStdString(name) << (guided ? 1e-3 : 1e-5);
      }
    }
  }
  void trajectoryMatchesReference() {
    QFETCH(QString, path);
    QFETCH(QString, variant);
    QFETCH(double, tolerance);
    test::BlendedFixture f = test::load_blended_fixture(path.toStdString());
    const std::string v = variant.toStdString();
    const torch::Tensor init = f.file.at("init_image");
    const torch::Tensor mask = f.file.at("mask");
    const test::Trajectory ours = test::run_free(f, v);
    const torch::Tensor& pred_last = ours.pred_last;
    const double err = test::relative_error(ours.xs, f.file.at(v + ".xs"));
    qInfo("%s: trajectory max|dx|/max|x| = %.3g (tolerance %.0e)", v.c_str(), err, tolerance);
    QVERIFY2(err <= tolerance, qPrintable(QString("trajectory error %1").arg(err)));
    QVERIFY(test::relative_error(pred_last, f.file.at(v + ".pred_xstart_last")) <= tolerance);

    // The final images: identical bytes, but allow a rare ±1 where the reference's value
    // sits on a truncation boundary within float noise.
    const auto ours_u8 = test::final_uint8(init, mask, pred_last).to(torch::kInt32);
    const auto ref_u8 = f.file.at(v + ".final_image_u8").to(torch::kInt32);
    const auto diff = (ours_u8 - ref_u8).abs();
    const int64_t off = diff.gt(0).sum().item<int64_t>();
    qInfo("%s: final image: %lld of %lld bytes differ, max %d", v.c_str(), static_cast<long long>(off),
          static_cast<long long>(diff.numel()), diff.max().item<int>());
    QVERIFY(diff.max().item<int>() <= 1);
    QVERIFY(off * 1000 <= diff.numel());

    // Ranking distances of the finished candidates (the last row of rank_dist).
    const torch::Tensor rank = f.file.at(v + ".rank_dist");
    torch::NoGradGuard no_grad;
    const torch::Tensor text_embed = f.clip->encode_text(f.file.at(v + ".tokens")).to(torch::kFloat32);
    const auto final01 = (init * (1 - mask) + pred_last * mask).add(1).div(2).clamp(0, 1);
    const auto dist = editing::ranking_distance(f.clip, text_embed, final01, mask);
    const double rank_err = (dist - rank[rank.size(0) - 1]).abs().max().item<double>();
    qInfo("%s: ranking distances max |d| = %.3g", v.c_str(), rank_err);
    QVERIFY(rank_err <= 1e-4);
    QVERIFY(torch::equal(dist.argsort(), rank[rank.size(0) - 1].argsort()));
  }

  void guidedStepsFromStoredStates() {
    const auto files = test::reference_files("blended_");
    if (files.empty()) QSKIP("no blended_*.pt reference vectors");
    for (const auto& path : files) {
      test::BlendedFixture f = test::load_blended_fixture(path);
      for (auto& [v, spec] : f.meta.at("variants").items()) {
        if (spec.at("args").at("prompt").get<std::string>().empty()) continue;
        test::BlendedRun run = test::make_reference_sampler(f, v);
        const torch::Tensor xs = f.file.at(v + ".xs");
        const torch::Tensor init = f.file.at("init_image");
        const torch::Tensor mask = f.file.at("mask");
        double worst = 0.0;
        for (int64_t k = 0; k + 1 < xs.size(0); ++k) {
          // Draw 0 started the chain; each step then pops its own and the background's.
          editing::ReplayNoise noise(f.noise, 1 + 2 * k);
          auto out = run.sampler->step(xs[k], run.sampler->first_index() - k, init, mask, noise);
          worst = std::max(worst, test::relative_error(out.sample, xs[k + 1]));
          if (k == 0) {
            const double clip_err = std::abs(out.clip_loss.item<double>() - f.file.at(v + ".clip_loss")[0].item<double>()) /
                                    std::abs(f.file.at(v + ".clip_loss")[0].item<double>());
            QVERIFY2(clip_err <= 1e-5, qPrintable(QString("clip loss %1").arg(clip_err)));
          }
        }
        qInfo("%s %s: worst single-step error %.3g", path.c_str(), v.c_str(), worst);
        QVERIFY2(worst <= 1e-4, qPrintable(QString("step error %1").arg(worst)));
      }
    }
  }
};

QTEST_GUILESS_MAIN(TestBlended)
#include "test_blended.moc"
