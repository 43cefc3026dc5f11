// Stable Diffusion's UNet against diffusers' UNet2DConditionModel: every sd_unet_*
// reference (conv and linear projections, one and per-level head counts, odd latent sides),
// loaded from its save_pretrained folder; output and intermediates within 1e-5 relative.
#include <torch/torch.h>

#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

#include "bd/error.h"
#include "pack/diffusers_config.h"
#include "pack/diffusers_folder.h"
#include "nn/sd_blocks.h"
#include "nn/sd_unet.h"
#include "sd_reference.h"
#include "test_support.h"

using namespace bd;

namespace {

constexpr double kTolerance = 1e-5;

std::string config_error(const nlohmann::json& j) {
  try {
    pack::unet2d_condition_config_from_json(j);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

class TestSDUNet : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    QVERIFY2(!test::reference_files("sd_unet_").empty(), "no sd_unet_*.pt reference vectors");
  }

  void matchesReference_data() { test::add_reference_rows("sd_unet_"); }
  void matchesReference() {
    QFETCH(QString, path);
    const test::SDReference r = test::read_sd_reference(path.toStdString());
    const nn::UNet2DConditionConfig config =
        pack::unet2d_condition_config_from_json(r.sidecar.at("config"));
    nn::UNet2DConditionModel unet = pack::load_unet2d_condition(r.folder, torch::kCPU);
    QVERIFY2(unet->config() == config, unet->config().to_string().c_str());
    QVERIFY(!unet->is_training());

    torch::NoGradGuard no_grad;
    nn::UNet2DConditionTrace trace;
    const torch::Tensor out = unet->forward(r.file.at("sample"), r.file.at("timestep"),
                                            r.file.at("encoder_hidden_states"), &trace);
    std::vector<std::pair<std::string, torch::Tensor>> checks = {{"out", out},
                                                                 {"dbg.t_emb", trace.t_emb},
                                                                 {"dbg.emb", trace.emb},
                                                                 {"dbg.mid_out", trace.mid_out}};
    for (size_t i = 0; i < trace.down.size(); ++i)
      checks.push_back({"dbg.down_" + std::to_string(i), trace.down[i]});
    for (size_t i = 0; i < trace.up.size(); ++i)
      checks.push_back({"dbg.up_" + std::to_string(i), trace.up[i]});
    const std::string failure = test::compare_with_reference(r.file, checks, kTolerance, r.name);
    QVERIFY2(failure.empty(), failure.c_str());
  }

  void oneTimestepServesTheBatch() {
    const test::SDReference r = test::read_sd_reference(test::reference_files("sd_unet_").front());
    nn::UNet2DConditionModel unet = pack::load_unet2d_condition(r.folder, torch::kCPU);
    torch::NoGradGuard no_grad;
    const torch::Tensor& x = r.file.at("sample");
    const torch::Tensor& ctx = r.file.at("encoder_hidden_states");
    const torch::Tensor per_item = unet->forward(x, torch::full({x.size(0)}, 321.0), ctx);
    QVERIFY(torch::equal(unet->forward(x, torch::scalar_tensor(321.0), ctx), per_item));
    QVERIFY(torch::equal(unet->forward(x, torch::tensor({int64_t{321}}), ctx), per_item));
    QVERIFY_THROWS_EXCEPTION(c10::Error, unet->forward(x, torch::zeros({3}), ctx));
    QVERIFY_THROWS_EXCEPTION(c10::Error, unet->forward(x, torch::zeros({1}), ctx.slice(2, 1)));
  }

  void attentionInGroupsOfHeadsIsTheSame() {
    // The memory cap splits the image-head slices into groups; the result must not change.
    torch::manual_seed(3);
    const torch::Tensor q = torch::randn({2, 6, 12}), k = torch::randn({2, 5, 12}),
                        v = torch::randn({2, 5, 12});
    const torch::Tensor mask = torch::randn({6, 5});
    const torch::Tensor whole = nn::multi_head_attention(q, k, v, 3, mask);
    for (int64_t cap : {30, 60, 90, 1})  // 1, 2, 3 slices per group; 1 slice when below one
      QVERIFY(torch::allclose(nn::multi_head_attention(q, k, v, 3, mask, cap), whole, 0, 1e-6));
    // Against the definition, per image and head.
    const torch::Tensor qh = q.view({2, 6, 3, 4}).transpose(1, 2),
                        kh = k.view({2, 5, 3, 4}).transpose(1, 2),
                        vh = v.view({2, 5, 3, 4}).transpose(1, 2);
    const torch::Tensor ref = torch::softmax(torch::matmul(qh, kh.transpose(2, 3)) / 2.0 + mask, -1)
                                  .matmul(vh)
                                  .transpose(1, 2)
                                  .reshape({2, 6, 12});
    QVERIFY(torch::allclose(whole, ref, 0, 1e-6));
  }

  void loadReportsEveryProblemAtOnce() {
    const test::SDReference r = test::read_sd_reference(test::reference_files("sd_unet_").front());
    const std::string drop = "mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight";
    const std::string wrong = "up_blocks.1.resnets.0.conv1.weight";
    const std::string weights = "diffusion_pytorch_model.safetensors";
    const std::string dir =
        test::broken_component_copy(r.folder, weights, "sd_unet_broken", drop, wrong);
    test::expect_all_problems_reported([&] { pack::load_unet2d_condition(dir, torch::kCPU); },
                                       "loading UNet2DConditionModel from " + dir + ": ", drop,
                                       wrong);
  }

  void publishedConfigsParse() {
    // Stable Diffusion 1.5's unet/config.json gives the defaults.
    const nlohmann::json sd15 =
        pack::read_json_file(test::source_path("tests/data/sd/sd15_unet_config.json"));
    const nn::UNet2DConditionConfig c15 = pack::unet2d_condition_config_from_json(sd15);
    QVERIFY2(c15 == nn::UNet2DConditionConfig{}, c15.to_string().c_str());
    // 2.1-base: per-level head counts, linear projections, OpenCLIP-H width.
    const nlohmann::json sd21 =
        pack::read_json_file(test::source_path("tests/data/sd/sd21base_unet_config.json"));
    const nn::UNet2DConditionConfig c21 = pack::unet2d_condition_config_from_json(sd21);
    QCOMPARE(c21.attention_head_dim, (std::vector<int64_t>{5, 10, 20, 20}));
    QVERIFY(c21.use_linear_projection);
    QCOMPARE(c21.cross_attention_dim, int64_t{1024});
    QCOMPARE(c21.layers_per_block, (std::vector<int64_t>{2, 2, 2, 2}));
    // Newer files may give the sample size as [height, width].
    nlohmann::json sides = sd15;
    sides["sample_size"] = {96, 96};
    QCOMPARE(pack::unet2d_condition_config_from_json(sides).sample_size, int64_t{96});
  }

  void configRejectsWhatItCannotBuild_data() {
    QTest::addColumn<QString>("patch");
    QTest::addColumn<QString>("named");
    QTest::newRow("class embedding") << R"({"class_embed_type": "timestep"})"
                                     << "class_embed_type";
    QTest::newRow("other class") << R"({"_class_name": "UNet2DModel"})"
                                 << "UNet2DModel";
    QTest::newRow("heads do not divide") << R"({"attention_head_dim": [8, 8, 7, 8]})"
                                         << "attention_head_dim at level 2";
    QTest::newRow("short list") << R"({"layers_per_block": [2, 2]})"
                                << "layers_per_block has 2 entries";
    QTest::newRow("unknown block")
        << R"({"down_block_types": ["SimpleCrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"]})"
        << "SimpleCrossAttnDownBlock2D";
    QTest::newRow("groups") << R"({"norm_num_groups": 48})"
                            << "norm_num_groups (48)";
    QTest::newRow("wrong type") << R"({"in_channels": "four"})"
                                << "'in_channels' has the wrong type";
    QTest::newRow("nested layers") << R"({"transformer_layers_per_block": [[1, 2], 1, 1, 1]})"
                                   << "transformer_layers_per_block";
    QTest::newRow("no mid block") << R"({"mid_block_type": null})"
                                  << "'mid_block_type' = null";
    QTest::newRow("time shift") << R"({"resnet_time_scale_shift": "scale_shift"})"
                                << "resnet_time_scale_shift";
  }
  void configRejectsWhatItCannotBuild() {
    QFETCH(QString, patch);
    QFETCH(QString, named);
    nlohmann::json j = pack::read_json_file(test::source_path("tests/data/sd/sd15_unet_config.json"));
    // Assigned, not merge_patch'ed: there a null would delete the key.
    const nlohmann::json changes = nlohmann::json::parse(patch.toStdString());
    for (const auto& [key, value] : changes.items()) j[key] = value;
    const std::string msg = config_error(j);
    QVERIFY2(!msg.empty(), "accepted");
    QVERIFY2(QString::fromStdString(msg).contains(named), msg.c_str());
  }
};

QTEST_GUILESS_MAIN(TestSDUNet)
#include "test_sd_unet.moc"
