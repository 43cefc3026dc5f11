// The default configs build exactly the published checkpoints' tensors (every key and
// shape of the dumps in tests/data), and inferring a config from those shapes gives the
// defaults back.
#include <torch/torch.h>
#include <QtTest/QtTest>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "nn/clip.h"
#include "nn/clip_keymap.h"
#include "nn/unet.h"
#include "test_support.h"

using namespace bd;

namespace {

struct KeyRow {
  std::vector<int64_t> shape;
  std::string dtype;  // fourth column when present (CLIP: dtype after convert_weights)
};

// "key<TAB>[a, b]<TAB>numel[<TAB>dtype]" lines; '#' lines are comments.
std::map<std::string, KeyRow> read_keys(const std::string& relative) {
  std::ifstream in(test::source_path(relative));
  if (!in) throw std::runtime_error("cannot open " + relative);
  std::map<std::string, KeyRow> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream cols(line);
    std::string key, shape, numel, dtype;
    std::getline(cols, key, '\t');
    std::getline(cols, shape, '\t');
    std::getline(cols, numel, '\t');
    std::getline(cols, dtype, '\t');
    KeyRow row{{}, dtype};
    std::istringstream dims(shape.substr(1, shape.size() - 2));
    std::string d;
    while (std::getline(dims, d, ',')) row.shape.push_back(std::stoll(d));
    rows[key] = row;
  }
  return rows;
}

// A tensor of that shape with (almost) no memory behind it: enough to infer from.
torch::Tensor no_memory(const std::vector<int64_t>& shape) {
  return shape.empty() ? torch::scalar_tensor(0.0) : torch::zeros({1}).expand(shape);
}

std::vector<io::NamedTensor> shaped_like(const std::map<std::string, KeyRow>& rows) {
  std::vector<io::NamedTensor> out;
  for (const auto& [key, row] : rows) out.push_back({key, no_memory(row.shape)});
  return out;
}

void expect_same_tensors(const torch::nn::Module& module,
                         const std::map<std::string, KeyRow>& rows) {
  std::set<std::string> seen;
  for (const auto& p : module.named_parameters()) {
    auto it = rows.find(p.key());
    QVERIFY2(it != rows.end(), ("unexpected " + p.key()).c_str());
    QVERIFY2(p.value().sizes() == c10::IntArrayRef(it->second.shape), p.key().c_str());
    seen.insert(p.key());
  }
  QVERIFY(module.named_buffers().is_empty());
  QCOMPARE(seen.size(), rows.size());
}

// `module`, built from the default Config, has exactly the published tensors and
// parameter count, and `infer` gives the default Config back from the published shapes.
template <class Config, class Infer>
void expect_published_default(const torch::nn::Module& module, const std::map<std::string, KeyRow>& rows,
                              int64_t parameters, Infer infer) {
  expect_same_tensors(module, rows);
  QCOMPARE(nn::parameter_count(module), parameters);
  const Config inferred = infer(shaped_like(rows));
  QVERIFY2(inferred == Config{}, inferred.to_string().c_str());
}

}  // namespace

class TestNnConfigs : public QObject {
  Q_OBJECT
 private slots:
  void unetDefaultIsAdm256Uncond() {
    const auto rows = read_keys("tests/data/adm256_uncond_keys.txt");
    QCOMPARE(rows.size(), size_t{566});
    QVERIFY(nn::unet_config_from_args({}) == nn::UNetConfig{});
    torch::NoGradGuard no_grad;
    expect_published_default<nn::UNetConfig>(*nn::UNet(nn::UNetConfig{}), rows, 552814086,
                                             [](const auto& t) { return nn::infer_unet_config(t); });
  }

  void unetInferenceRoundTripsOtherPublishedConfigs_data() {
    QTest::addColumn<int>("imageSize");
    QTest::addColumn<bool>("classCond");
    QTest::addColumn<bool>("updown");
    QTest::addColumn<bool>("newOrder");
    QTest::addColumn<QString>("attention");
    QTest::newRow("512 class-cond") << 512 << true << true << false << "32,16,8";
    QTest::newRow("128 class-cond") << 128 << true << true << false << "32,16,8";
    QTest::newRow("64 new order") << 64 << true << true << true << "32,16,8";
    QTest::newRow("conv resampling") << 64 << false << false << false << "16,8";
  }
  void unetInferenceRoundTripsOtherPublishedConfigs() {
    QFETCH(int, imageSize);
    QFETCH(bool, classCond);
    QFETCH(bool, updown);
    QFETCH(bool, newOrder);
    QFETCH(QString, attention);
    nn::CreateModelArgs args;
    args.image_size = imageSize;
    args.num_channels = 64;  // small: the structure is what is checked
    args.class_cond = classCond;
    args.resblock_updown = updown;
    args.use_new_attention_order = newOrder;
    args.attention_resolutions = attention.toStdString();
    const nn::UNetConfig config = nn::unet_config_from_args(args);
    torch::NoGradGuard no_grad;
    nn::UNet unet(config);
    nn::UNetConfig unobservable;
    unobservable.use_new_attention_order = newOrder;
    const nn::UNetConfig inferred = nn::infer_unet_config(nn::named_tensors(*unet), unobservable);
    QVERIFY2(inferred == config, (inferred.to_string() + " vs " + config.to_string()).c_str());
    const int64_t side = int64_t{2} << (config.channel_mult.size() - 1);  // 2×2 at the bottom
    const torch::Tensor out =
        unet->forward(torch::randn({1, 3, side, side}), torch::tensor({10.0f}),
                      classCond ? torch::tensor({int64_t{7}}) : torch::Tensor());
    QVERIFY(out.sizes() == torch::IntArrayRef({1, 6, side, side}));
  }

  void clipDefaultIsVitB16() {
    const auto rows = read_keys("tests/data/clip_vitb16_keys.txt");
    QCOMPARE(rows.size(), size_t{302});
    torch::NoGradGuard no_grad;
    nn::Clip clip(nn::ClipConfig{});
    expect_published_default<nn::ClipConfig>(*clip, rows, 149620737,
                                             [](const auto& t) { return nn::infer_clip_config(t); });

    // convert_to_fp16 leaves each tensor in the dtype clip.model.convert_weights gives it.
    clip->convert_to_fp16();
    for (const auto& p : clip->named_parameters()) {
      const std::string expected = rows.at(p.key()).dtype;
      QVERIFY2(expected == (p.value().scalar_type() == torch::kFloat16 ? "float16" : "float32"),
               p.key().c_str());
    }
  }

  void clipHfNamesCoverVitB16() {
    // Every HF CLIPModel name for ViT-B/16 maps onto exactly the OpenAI keys.
    const auto rows = read_keys("tests/data/clip_vitb16_keys.txt");
    std::vector<io::NamedTensor> hf;
    auto add = [&](const std::string& name, const std::vector<int64_t>& shape) {
      hf.push_back({name, no_memory(shape)});
    };
    for (const std::string tower : {"vision_model", "text_model"}) {
      const int64_t w = tower == "vision_model" ? 768 : 512;
      for (int i = 0; i < 12; ++i) {
        const std::string p = tower + ".encoder.layers." + std::to_string(i) + ".";
        for (const char* proj : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
          add(p + "self_attn." + proj + ".weight", {w, w});
          add(p + "self_attn." + proj + ".bias", {w});
        }
        for (const char* ln : {"layer_norm1", "layer_norm2"}) {
          add(p + ln + ".weight", {w});
          add(p + ln + ".bias", {w});
        }
        add(p + "mlp.fc1.weight", {4 * w, w});
        add(p + "mlp.fc1.bias", {4 * w});
        add(p + "mlp.fc2.weight", {w, 4 * w});
        add(p + "mlp.fc2.bias", {w});
      }
      add(tower + ".embeddings.position_ids", {1, tower == "vision_model" ? 197 : 77});
    }
    add("vision_model.embeddings.class_embedding", {768});
    add("vision_model.embeddings.patch_embedding.weight", {768, 3, 16, 16});
    add("vision_model.embeddings.position_embedding.weight", {197, 768});
    for (const char* ln : {"vision_model.pre_layrnorm", "vision_model.post_layernorm",
                           "text_model.final_layer_norm"}) {
      const int64_t w = std::string(ln).rfind("vision", 0) == 0 ? 768 : 512;
      add(std::string(ln) + ".weight", {w});
      add(std::string(ln) + ".bias", {w});
    }
    add("visual_projection.weight", {512, 768});
    add("text_model.embeddings.token_embedding.weight", {49408, 512});
    add("text_model.embeddings.position_embedding.weight", {77, 512});
    add("text_projection.weight", {512, 512});
    add("logit_scale", {});
    QVERIFY(nn::is_hf_clip_layout(hf));
    const std::vector<io::NamedTensor> openai = nn::clip_from_hf_layout(hf);
    QCOMPARE(openai.size(), rows.size());
    for (const auto& t : openai) {
      auto it = rows.find(t.name);
      QVERIFY2(it != rows.end(), t.name.c_str());
      QVERIFY2(t.tensor.sizes() == c10::IntArrayRef(it->second.shape), t.name.c_str());
    }
    QVERIFY(nn::infer_clip_config(openai) == nn::ClipConfig{});
  }
};

QTEST_GUILESS_MAIN(TestNnConfigs)
#include "test_nn_configs.moc"
