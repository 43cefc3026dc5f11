// Stable Diffusion's text encoder against transformers' CLIPTextModel (quick_gelu as in
// SD 1.x, gelu as in SD 2.x): last_hidden_state, hidden_states[-2] and the pooled output,
// loaded from the save_pretrained folder; within 1e-5 relative.
#include <torch/torch.h>

#include <QtTest/QtTest>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "bd/error.h"
#include "pack/diffusers_config.h"
#include "pack/diffusers_folder.h"
#include "io/safetensors.h"
#include "nn/clip_text_hf.h"
#include "sd_reference.h"
#include "test_support.h"

using namespace bd;

namespace {
constexpr double kTolerance = 1e-5;
const std::string kWeights = "model.safetensors";
}  // namespace

class TestCLIPTextHF : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    QVERIFY2(!test::reference_files("sd_clip_text_").empty(),
             "no sd_clip_text_*.pt reference vectors");
  }

  void matchesReference_data() { test::add_reference_rows("sd_clip_text_"); }
  void matchesReference() {
    QFETCH(QString, path);
    const test::SDReference r = test::read_sd_reference(path.toStdString());
    nn::CLIPTextModel clip = pack::load_clip_text_model(r.folder, torch::kCPU);
    QVERIFY(clip->config() == pack::clip_text_config_from_json(r.sidecar.at("config")));
    QCOMPARE(QString::fromStdString(clip->config().hidden_act),
             QString::fromStdString(r.sidecar.at("config").at("hidden_act")));
    torch::NoGradGuard no_grad;
    const nn::CLIPTextOutput out = clip->forward(r.file.at("input_ids"));
    QCOMPARE(out.hidden_states.size(), size_t(clip->config().num_hidden_layers + 1));
    const std::string failure =
        test::compare_with_reference(r.file,
                                     {{"last_hidden_state", out.last_hidden_state},
                                      {"penultimate", out.penultimate},
                                      {"pooler_output", out.pooler_output},
                                      {"dbg.embeddings", out.hidden_states.front()}},
                                     kTolerance, r.name);
    QVERIFY2(failure.empty(), failure.c_str());
  }

  void prefixedAndOlderKeysLoad() {
    // SD's published text encoders carry "text_model." and a position_ids buffer.
    const test::SDReference r =
        test::read_sd_reference(test::reference_files("sd_clip_text_").front());
    const std::string dir = test::scratch_dir("sd_clip_text_prefixed");
    std::filesystem::copy_file(r.folder + "/config.json", dir + "/config.json");
    std::vector<io::NamedTensor> tensors;
    for (const auto& t : io::read_tensor_file(r.folder + "/" + kWeights).tensors)
      tensors.push_back({"text_model." + t.name, t.tensor});
    tensors.push_back({"text_model.embeddings.position_ids", torch::arange(77).unsqueeze(0)});
    io::write_safetensors(dir + "/" + kWeights, tensors);
    nn::CLIPTextModel clip = pack::load_clip_text_model(dir, torch::kCPU);
    torch::NoGradGuard no_grad;
    const double err = test::relative_error(clip->forward(r.file.at("input_ids")).last_hidden_state,
                                            r.file.at("last_hidden_state"));
    QVERIFY2(err <= kTolerance, qPrintable(QString::number(err)));
  }

  void causalPrefixIgnoresLaterTokens() {
    // Each position sees only itself and what precedes it: a shorter input gives the same
    // prefix (the property SD relies on when prompts are padded to 77).
    const test::SDReference r =
        test::read_sd_reference(test::reference_files("sd_clip_text_").front());
    nn::CLIPTextModel clip = pack::load_clip_text_model(r.folder, torch::kCPU);
    torch::NoGradGuard no_grad;
    const torch::Tensor ids = r.file.at("input_ids");
    const torch::Tensor full = clip->forward(ids).last_hidden_state;
    const torch::Tensor prefix = clip->forward(ids.slice(1, 0, 12)).last_hidden_state;
    QVERIFY(test::relative_error(prefix, full.slice(1, 0, 12)) <= kTolerance);
    QVERIFY_THROWS_EXCEPTION(
        c10::Error, clip->forward(torch::full({1, 4}, clip->config().vocab_size, torch::kLong)));
    QVERIFY_THROWS_EXCEPTION(c10::Error, clip->forward(torch::zeros({1, 78}, torch::kLong)));
  }

  void loadReportsEveryProblemAtOnce() {
    const test::SDReference r =
        test::read_sd_reference(test::reference_files("sd_clip_text_").front());
    // The loader adds "text_model." to the file's keys, so the messages name them with it.
    const std::string dir = test::broken_component_copy(r.folder, kWeights, "sd_clip_text_broken",
                                                        "encoder.layers.1.mlp.fc2.bias",
                                                        "embeddings.token_embedding.weight");
    test::expect_all_problems_reported([&] { pack::load_clip_text_model(dir, torch::kCPU); },
                                       "loading CLIPTextModel from " + dir + ": ",
                                       "text_model.encoder.layers.1.mlp.fc2.bias",
                                       "text_model.embeddings.token_embedding.weight");
  }

  void publishedConfigsParse() {
    const nn::CLIPTextConfig c15 = pack::clip_text_config_from_json(
        pack::read_json_file(test::source_path("tests/data/sd/sd15_text_encoder_config.json")));
    QVERIFY2(c15 == nn::CLIPTextConfig{}, c15.to_string().c_str());
    const nn::CLIPTextConfig c21 = pack::clip_text_config_from_json(
        pack::read_json_file(test::source_path("tests/data/sd/sd21base_text_encoder_config.json")));
    QCOMPARE(c21.hidden_act, std::string("gelu"));
    QCOMPARE(c21.num_hidden_layers, int64_t{23});
    QCOMPARE(c21.hidden_size, int64_t{1024});
    nlohmann::json bad = {{"hidden_act", "relu"}};
    QVERIFY_THROWS_EXCEPTION(Error, pack::clip_text_config_from_json(bad));
    bad = {{"hidden_size", 100}, {"num_attention_heads", 12}};
    QVERIFY_THROWS_EXCEPTION(Error, pack::clip_text_config_from_json(bad));
  }
};

QTEST_GUILESS_MAIN(TestCLIPTextHF)
#include "test_clip_text_hf.moc"
