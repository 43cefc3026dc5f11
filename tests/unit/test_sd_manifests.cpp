// The Stable Diffusion networks built from the published configs (tests/data/sd/) have
// exactly the tensors of the diffusers / transformers models: every name and shape of the
// key manifests in tests/data (listed from those libraries' models with the same configs).
// Builds SD 1.5 and 2.1-base at full size (up to 3.5 GB at a time): label slow.
#include <torch/torch.h>

#include <QtTest/QtTest>

#include <map>

#include "pack/diffusers_config.h"
#include "key_manifest.h"
#include "nn/clip_text_hf.h"
#include "nn/layers.h"
#include "nn/sd_unet.h"
#include "nn/vae.h"
#include "test_support.h"

using namespace bd;

namespace {

// key -> shape of a "key<TAB>[d0, d1, ...]<TAB>numel" manifest.
std::map<std::string, std::vector<int64_t>> manifest(const std::string& relative) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& row : test::read_manifest(relative)) shapes[row.columns.at(0)] = row.shape(1);
  return shapes;
}

// Every parameter is in the manifest with its shape, and nothing in the manifest is missing.
// Returns "" or the problems found.
std::string compare_with_manifest(const torch::nn::Module& net, const std::string& relative) {
  const auto expected = manifest(relative);
  std::string problems;
  size_t seen = 0;
  for (const auto& p : net.named_parameters()) {
    const auto it = expected.find(p.key());
    if (it == expected.end()) {
      problems += "\n  not in the manifest: " + p.key();
    } else if (p.value().sizes() != c10::IntArrayRef(it->second)) {
      problems += "\n  shape differs: " + p.key();
    } else {
      ++seen;
    }
  }
  if (!net.named_buffers().is_empty()) problems += "\n  the network has buffers";
  if (seen != expected.size())
    problems += "\n  " + std::to_string(expected.size() - seen) + " manifest keys not matched";
  return problems.empty() ? "" : relative + ":" + problems;
}

nlohmann::json config(const std::string& name) {
  return pack::read_json_file(test::source_path("tests/data/sd/" + name));
}

}  // namespace

class TestSDManifests : public QObject {
  Q_OBJECT
 private slots:
  void manifestsMatch_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("configFile");
    QTest::addColumn<QString>("keys");
    QTest::addColumn<qint64>("parameters");  // the published totals
    QTest::newRow("SD 1.5 UNet") << "unet"
                                 << "sd15_unet_config.json"
                                 << "sd15_unet_keys.txt" << qint64{859520964};
    QTest::newRow("SD 1.5 VAE") << "vae"
                                << "sd15_vae_config.json"
                                << "sd15_vae_keys.txt" << qint64{83653863};
    QTest::newRow("SD 1.5 text encoder") << "text"
                                         << "sd15_text_encoder_config.json"
                                         << "sd15_text_encoder_keys.txt" << qint64{123060480};
    QTest::newRow("SD 2.1-base UNet") << "unet"
                                      << "sd21base_unet_config.json"
                                      << "sd21base_unet_keys.txt" << qint64{865910724};
    QTest::newRow("SD 2.1-base text encoder")
        << "text"
        << "sd21base_text_encoder_config.json"
        << "sd21base_text_encoder_keys.txt" << qint64{340387840};
  }
  void manifestsMatch() {
    QFETCH(QString, kind);
    QFETCH(QString, configFile);
    QFETCH(QString, keys);
    QFETCH(qint64, parameters);
    const nlohmann::json j = config(configFile.toStdString());
    const std::string manifest_path = "tests/data/" + keys.toStdString();
    torch::NoGradGuard no_grad;
    std::shared_ptr<torch::nn::Module> net;
    if (kind == "unet")
      net = nn::UNet2DConditionModel(pack::unet2d_condition_config_from_json(j)).ptr();
    if (kind == "vae") net = nn::AutoencoderKL(pack::autoencoder_kl_config_from_json(j)).ptr();
    if (kind == "text") net = nn::CLIPTextModel(pack::clip_text_config_from_json(j)).ptr();
    QVERIFY(net);
    const std::string problems = compare_with_manifest(*net, manifest_path);
    QVERIFY2(problems.empty(), problems.c_str());
    QCOMPARE(nn::parameter_count(*net), int64_t{parameters});
  }

  void defaultsAreSD15() {
    // The config structs' defaults are the SD 1.5 files' values.
    QVERIFY(pack::unet2d_condition_config_from_json(config("sd15_unet_config.json")) ==
            nn::UNet2DConditionConfig{});
    QVERIFY(pack::autoencoder_kl_config_from_json(config("sd15_vae_config.json")) ==
            nn::AutoencoderKLConfig{});
    QVERIFY(pack::clip_text_config_from_json(config("sd15_text_encoder_config.json")) ==
            nn::CLIPTextConfig{});
  }
};

QTEST_GUILESS_MAIN(TestSDManifests)
#include "test_sd_manifests.moc"
