// The whole Blended Diffusion loop against omriav/blended-diffusion, run with small
// random models and recorded noise (blended_*.pt): the unguided variant e1 and the
// guided variant e2 (identity augmentations), free-running and step by step; the final
// uint8 images and the ranking distances. Settings come from the sidecar JSON.
#include <QtTest/QtTest>
#include <torch/torch.h>

#include <filesystem>

#include "diffusion/gaussian_diffusion.h"
#include "editing/blended_sampler.h"
#include "editing/guidance.h"
#include "editing/noise.h"
#include "io/model_config_json.h"
#include "io/state_dict.h"
#include "io/tensor_file.h"
#include "nn/layers.h"
#include "test_support.h"

using namespace bd;

namespace {

struct Variant {
  std::string name;
  nlohmann::json args;
};

struct Fixture {
  std::string path;
  nlohmann::json meta;
  io::TensorFile file;
  nn::UNet unet{nullptr};
  nn::Clip clip{nullptr};
  std::unique_ptr<diffusion::GaussianDiffusion> diffusion;
  std::vector<torch::Tensor> noise;
};

// "sd.* of unet_dev.pt": the weights live in a sibling reference file.
std::vector<io::NamedTensor> weights_named_in(const std::string& path, const std::string& description) {
  const std::string file = description.substr(description.find(" of ") + 4);
  const auto dir = std::filesystem::path(path).parent_path();
  return nn::strip_prefix(io::read_tensor_file((dir / file).string()).tensors, "sd.");
}

Fixture load_fixture(const std::string& path) {
  Fixture f{path, test::read_sidecar(path), io::read_tensor_file(path)};
  f.unet = nn::UNet(nn::unet_config_from_args(io::create_model_args_from_json(f.meta.at("unet_config"))));
  io::load_state_dict(*f.unet, weights_named_in(path, f.meta.at("weights").at("unet")), "unet weights");
  nn::freeze(*f.unet);
  f.clip = nn::Clip(io::clip_config_from_json(f.meta.at("clip_config")));
  io::LoadOptions drop_metadata;
  drop_metadata.rename = [](const std::string& k) -> std::optional<std::string> {
    if (nn::is_clip_metadata_key(k)) return std::nullopt;
    return k;
  };
  io::load_state_dict(*f.clip, weights_named_in(path, f.meta.at("weights").at("clip")), "clip weights", drop_metadata);
  nn::freeze(*f.clip);
  f.diffusion = std::make_unique<diffusion::GaussianDiffusion>(
      diffusion::GaussianDiffusion::create(io::diffusion_config_from_json(f.meta.at("model_and_diffusion_config"))));
  for (std::size_t i = 0;; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "noise.%03zu", i);
    const torch::Tensor* t = f.file.find(key);
    if (!t) break;
    f.noise.push_back(t->to(torch::kFloat32));
  }
  return f;
}

struct Run {
  std::unique_ptr<editing::ClipAugmenter> augmenter;
  std::unique_ptr<editing::BlendedSampler> sampler;
};

// The reference fidelity mode: shared background noise, the unscale round trip,
// identity views (the vectors replaced kornia by identity).
Run make_sampler(Fixture& f, const std::string& v) {
  const auto& a = f.meta.at("variants").at(v).at("args");
  Run run;
  editing::AugmentSettings aug;
  aug.clip_size = f.clip->config().image_resolution;
  aug.views = a.at("aug_num");
  aug.random = false;
  run.augmenter = std::make_unique<editing::ClipAugmenter>(aug, std::vector<std::uint64_t>{0});
  editing::SamplerSettings s;
  s.ddim = a.at("ddim");
  s.skip_timesteps = a.at("skip_timesteps");
  s.blend_background = !a.at("local_clip_guided_diffusion").get<bool>();
  s.clip_lambda = a.at("clip_guidance_lambda");
  s.range_lambda = a.at("range_lambda");
  s.shared_background_noise = true;
  s.reference_unscale = true;
  const bool has_prompt = !a.at("prompt").get<std::string>().empty();
  std::optional<nn::Clip> clip;
  if (has_prompt) clip = f.clip;
  torch::Tensor text_embed;
  {
    torch::NoGradGuard no_grad;
    text_embed = f.clip->encode_text(f.file.at(v + ".tokens")).to(torch::kFloat32);
  }
  run.sampler = std::make_unique<editing::BlendedSampler>(f.unet, *f.diffusion, clip, text_embed,
                                                          run.augmenter.get(), s);
  return run;
}

torch::Tensor final_uint8(const torch::Tensor& init, const torch::Tensor& mask, const torch::Tensor& pred) {
  // enforce_background, [0,1], then to_pil_image's truncating ×255.
  auto image = (init * (1 - mask) + pred * mask).add(1).div(2).clamp(0, 1);
  return image.mul(255).to(torch::kUInt8).permute({0, 2, 3, 1}).contiguous();
}

}  // namespace

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
    Fixture f = load_fixture(path.toStdString());
    const std::string v = variant.toStdString();
    Run run = make_sampler(f, v);
    const torch::Tensor init = f.file.at("init_image");
    const torch::Tensor mask = f.file.at("mask");
    const torch::Tensor xs = f.file.at(v + ".xs");
    const torch::Tensor ts = f.file.at(v + ".t");
    const int64_t batch = xs.size(1);
    QCOMPARE(run.sampler->steps(), ts.size(0));

    editing::ReplayNoise noise(f.noise);
    std::vector<torch::Tensor> ours = {run.sampler->start(init, batch, noise)};
    torch::Tensor pred_last;
    for (int64_t k = 0; k < ts.size(0); ++k) {
      const int64_t index = run.sampler->first_index() - k;
      QCOMPARE(index, ts[k].item<int64_t>());
      auto out = run.sampler->step(ours.back(), index, init, mask, noise);
      ours.push_back(out.sample);
      pred_last = out.pred_xstart;
    }
    const double err = test::relative_error(torch::stack(ours), xs);
    qInfo("%s: trajectory max|dx|/max|x| = %.3g (tolerance %.0e)", v.c_str(), err, tolerance);
    QVERIFY2(err <= tolerance, qPrintable(QString("trajectory error %1").arg(err)));
    QVERIFY(test::relative_error(pred_last, f.file.at(v + ".pred_xstart_last")) <= tolerance);

    // The final images: identical bytes, but allow a rare ±1 where the reference's value
    // sits on a truncation boundary within float noise.
    const auto ours_u8 = final_uint8(init, mask, pred_last).to(torch::kInt32);
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
      Fixture f = load_fixture(path);
      for (auto& [v, spec] : f.meta.at("variants").items()) {
        if (spec.at("args").at("prompt").get<std::string>().empty()) continue;
        Run run = make_sampler(f, v);
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
            const double clip_err = std::abs(out.clip_loss - f.file.at(v + ".clip_loss")[0].item<double>()) /
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
