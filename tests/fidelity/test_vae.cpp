// Stable Diffusion's autoencoder against diffusers' AutoencoderKL: encode to the latent
// posterior (mean, std, a sample from given noise) and decode, loaded from the
// save_pretrained folder; within 1e-5 relative.
#include <torch/torch.h>

#include <QtTest/QtTest>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "bd/error.h"
#include "pack/diffusers_config.h"
#include "pack/diffusers_folder.h"
#include "io/safetensors.h"
#include "nn/vae.h"
#include "sd_reference.h"
#include "test_support.h"

using namespace bd;

namespace {
constexpr double kTolerance = 1e-5;
const std::string kWeights = "diffusion_pytorch_model.safetensors";
}  // namespace

class TestVAE : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    QVERIFY2(!test::reference_files("sd_vae").empty(), "no sd_vae*.pt reference vectors");
  }

  void matchesReference_data() { test::add_reference_rows("sd_vae"); }
  void matchesReference() {
    QFETCH(QString, path);
    const test::SDReference r = test::read_sd_reference(path.toStdString());
    nn::AutoencoderKL vae = pack::load_autoencoder_kl(r.folder, torch::kCPU);
    QVERIFY(vae->config() == pack::autoencoder_kl_config_from_json(r.sidecar.at("config")));
    torch::NoGradGuard no_grad;
    nn::AutoencoderKLTrace enc, dec;
    const nn::DiagonalGaussian posterior = vae->encode(r.file.at("x"), &enc);
    const torch::Tensor decoded = vae->decode(r.file.at("z"));
    const torch::Tensor reconstruction = vae->decode(posterior.mean, &dec);
    const std::string failure =
        test::compare_with_reference(r.file,
                                     {{"dbg.encoder_out", enc.encoder_out},
                                      {"dbg.enc_mid_out", enc.encoder_mid_out},
                                      {"moments", enc.moments},
                                      {"mean", posterior.mean},
                                      {"std", posterior.std},
                                      {"latent_sample", posterior.sample(r.file.at("noise"))},
                                      {"decoded", decoded},
                                      {"dbg.dec_mid_out", dec.decoder_mid_out},
                                      {"reconstruction", reconstruction}},
                                     kTolerance, r.name, {"x", "z", "noise"});
    QVERIFY2(failure.empty(), failure.c_str());
  }

  void legacyAttentionNamesLoad() {
    // Files from before diffusers renamed the VAE attention (query, key, value, proj_attn).
    const test::SDReference r = test::read_sd_reference(test::reference_files("sd_vae").front());
    const std::string dir = test::scratch_dir("sd_vae_legacy");
    std::filesystem::copy_file(r.folder + "/config.json", dir + "/config.json");
    const io::TensorFile file = io::read_tensor_file(r.folder + "/" + kWeights);
    const std::vector<std::pair<std::string, std::string>> renames = {
        {"to_q.", "query."}, {"to_k.", "key."}, {"to_v.", "value."}, {"to_out.0.", "proj_attn."}};
    std::vector<io::NamedTensor> legacy;
    int renamed = 0;
    for (auto t : file.tensors) {
      for (const auto& [now, old] : renames) {
        const size_t at = t.name.find("attentions.0." + now);
        if (at == std::string::npos) continue;
        t.name.replace(at + 13, now.size(), old);
        ++renamed;
      }
      legacy.push_back(t);
    }
    QCOMPARE(renamed, 16);  // encoder and decoder: 4 layers × weight and bias
    io::write_safetensors(dir + "/" + kWeights, legacy);
    nn::AutoencoderKL vae = pack::load_autoencoder_kl(dir, torch::kCPU);
    torch::NoGradGuard no_grad;
    const double err = test::relative_error(vae->decode(r.file.at("z")), r.file.at("decoded"));
    QVERIFY2(err <= kTolerance, qPrintable(QString::number(err)));
    QCOMPARE(*nn::vae_key_from_legacy("encoder.down_blocks.0.resnets.0.conv1.weight"),
             std::string("encoder.down_blocks.0.resnets.0.conv1.weight"));
  }

  void loadReportsEveryProblemAtOnce() {
    const test::SDReference r = test::read_sd_reference(test::reference_files("sd_vae").front());
    const std::string drop = "decoder.mid_block.attentions.0.to_v.bias";
    const std::string wrong = "encoder.down_blocks.1.resnets.0.conv_shortcut.weight";
    const std::string dir =
        test::broken_component_copy(r.folder, kWeights, "sd_vae_broken", drop, wrong);
    test::expect_all_problems_reported([&] { pack::load_autoencoder_kl(dir, torch::kCPU); },
                                       "loading AutoencoderKL from " + dir + ": ", drop, wrong);
  }

  void inputsAreChecked() {
    nn::AutoencoderKLConfig small;
    small.block_out_channels = {32, 32};
    small.down_block_types.resize(2);
    small.up_block_types.resize(2);
    nn::AutoencoderKL vae(small);
    QCOMPARE(vae->downscale_factor(), int64_t{2});
    torch::NoGradGuard no_grad;
    QVERIFY_THROWS_EXCEPTION(c10::Error, vae->encode(torch::zeros({1, 3, 15, 16})));
    QVERIFY_THROWS_EXCEPTION(c10::Error, vae->decode(torch::zeros({1, 3, 8, 8})));
    const nn::DiagonalGaussian g = vae->encode(torch::zeros({1, 3, 16, 16}));
    QVERIFY_THROWS_EXCEPTION(c10::Error, g.sample(torch::zeros({1, 4, 4, 4})));
  }

  void publishedConfigParses() {
    const nlohmann::json sd15 =
        pack::read_json_file(test::source_path("tests/data/sd/sd15_vae_config.json"));
    const nn::AutoencoderKLConfig c = pack::autoencoder_kl_config_from_json(sd15);
    QVERIFY2(c == nn::AutoencoderKLConfig{}, c.to_string().c_str());
    nlohmann::json shifted = sd15;
    shifted["shift_factor"] = 0.1159;  // SD3 / Flux latents: not this network's contract
    QVERIFY_THROWS_EXCEPTION(Error, pack::autoencoder_kl_config_from_json(shifted));
    nlohmann::json other = sd15;
    other["_class_name"] = "AutoencoderTiny";
    QVERIFY_THROWS_EXCEPTION(Error, pack::autoencoder_kl_config_from_json(other));
  }
};

QTEST_GUILESS_MAIN(TestVAE)
#include "test_vae.moc"
