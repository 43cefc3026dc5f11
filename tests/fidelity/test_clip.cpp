// CLIP against openai/CLIP: every clip_*.pt reference (config from its sidecar's
// clip_kwargs), both towers, similarities and logits within 1e-5 relative; the same
// weights in the Hugging Face layout and through safetensors give identical outputs.
#include <torch/torch.h>

#include <QtTest/QtTest>

#include "bd/error.h"
#include "io/safetensors.h"
#include "io/tensor_file.h"
#include "nn/clip.h"
#include "nn/clip_state.h"
#include "nn/clip_keymap.h"
#include "test_support.h"

using namespace bd;

namespace {

constexpr double kTolerance = 1e-5;
// --precision bf16 on the CPU: 0.0044 (image) and 0.022 (text) measured on the reference CLIP.
constexpr double kBf16Limit = 5e-2;

struct Reference {
  io::TensorFile file;
  nn::ClipConfig config;
  std::vector<io::NamedTensor> state_dict;  // OpenAI names, without "sd."
};

Reference read_reference(const std::string& path) {
  Reference r{io::read_tensor_file(path), {}, {}};
  const nlohmann::json k = test::read_sidecar(path).at("clip_kwargs");
  nn::ClipConfig& c = r.config;
  c.embed_dim = k.at("embed_dim");
  c.image_resolution = k.at("image_resolution");
  c.vision_layers = k.at("vision_layers");
  c.vision_width = k.at("vision_width");
  c.vision_patch_size = k.at("vision_patch_size");
  c.context_length = k.at("context_length");
  c.vocab_size = k.at("vocab_size");
  c.transformer_width = k.at("transformer_width");
  c.transformer_heads = k.at("transformer_heads");
  c.transformer_layers = k.at("transformer_layers");
  r.state_dict = nn::strip_prefix(r.file.tensors, "sd.");
  return r;
}

nn::Clip build_loaded(const nn::ClipConfig& config, const std::vector<io::NamedTensor>& tensors) {
  nn::Clip clip(config);
  nn::load_clip_state(clip, tensors, "reference");
  nn::freeze(*clip);
  return clip;
}

// The inverse of nn::clip_from_hf_layout, written independently: OpenAI -> HF names.
std::vector<io::NamedTensor> to_hf_layout(const std::vector<io::NamedTensor>& openai) {
  const std::vector<std::pair<std::string, std::string>> whole = {
      {"visual.class_embedding", "vision_model.embeddings.class_embedding"},
      {"visual.conv1.weight", "vision_model.embeddings.patch_embedding.weight"},
      {"visual.positional_embedding", "vision_model.embeddings.position_embedding.weight"},
      {"token_embedding.weight", "text_model.embeddings.token_embedding.weight"},
      {"positional_embedding", "text_model.embeddings.position_embedding.weight"},
      {"logit_scale", "logit_scale"}};
  const std::vector<std::pair<std::string, std::string>> prefixes = {
      {"visual.ln_pre.", "vision_model.pre_layrnorm."},
      {"visual.ln_post.", "vision_model.post_layernorm."},
      {"ln_final.", "text_model.final_layer_norm."},
      {"visual.transformer.resblocks.", "vision_model.encoder.layers."},
      {"transformer.resblocks.", "text_model.encoder.layers."}};
  const std::vector<std::pair<std::string, std::string>> parts = {
      {"attn.out_proj.", "self_attn.out_proj."},
      {"ln_1.", "layer_norm1."},
      {"ln_2.", "layer_norm2."},
      {"mlp.c_fc.", "mlp.fc1."},
      {"mlp.c_proj.", "mlp.fc2."}};
  std::vector<io::NamedTensor> hf = {
      {"text_model.embeddings.position_ids", torch::arange(77).unsqueeze(0)},
      {"vision_model.embeddings.position_ids", torch::arange(10).unsqueeze(0)}};
  for (const auto& [name, t] : openai) {
    if (name == "visual.proj") {
      hf.push_back({"visual_projection.weight", t.t().contiguous()});
      continue;
    }
    if (name == "text_projection") {
      hf.push_back({"text_projection.weight", t.t().contiguous()});
      continue;
    }
    bool done = false;
    for (const auto& [from, to] : whole)
      if (name == from) hf.push_back({to, t}), done = true;
    for (const auto& [from, to] : prefixes) {
      if (done || name.rfind(from, 0) != 0) continue;
      std::string rest = name.substr(from.size());  // "N.attn.in_proj_weight" or "weight"
      const size_t dot = rest.find('.');
      const std::string layer = to + rest.substr(0, dot + 1), part = rest.substr(dot + 1);
      if (part == "attn.in_proj_weight" || part == "attn.in_proj_bias") {
        const std::string kind = part.substr(13);
        const auto qkv = t.chunk(3, 0);
        for (int i = 0; i < 3; ++i)
          hf.push_back({layer + "self_attn." + std::string(1, "qkv"[i]) + "_proj." + kind, qkv[i]});
      } else {
        std::string mapped = to + rest;
        for (const auto& [pf, pt] : parts)
          if (part.rfind(pf, 0) == 0) mapped = layer + pt + part.substr(pf.size());
        hf.push_back({mapped, t});
      }
      done = true;
    }
    if (!done) hf.push_back({"unmapped." + name, t});
  }
  return hf;
}

struct Outputs {
  torch::Tensor image, text, logits_per_image, logits_per_text;
};

Outputs run(nn::Clip& clip, const io::TensorFile& ref) {
  torch::NoGradGuard no_grad;
  const nn::ClipLogits logits = clip->forward(ref.at("image"), ref.at("tokens"));
  return {clip->encode_image(ref.at("image")), clip->encode_text(ref.at("tokens")),
          logits.per_image, logits.per_text};
}

void expect_identical(const Outputs& a, const Outputs& b) {
  QVERIFY(torch::equal(a.image, b.image));
  QVERIFY(torch::equal(a.text, b.text));
  QVERIFY(torch::equal(a.logits_per_image, b.logits_per_image));
}

}  // namespace

class TestClip : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    QVERIFY2(!test::reference_files("clip_").empty(), "no clip_*.pt reference vectors");
  }

  void matchesReference_data() { test::add_reference_rows("clip_"); }
  void matchesReference() {
    QFETCH(QString, path);
    const Reference r = read_reference(path.toStdString());
    // build_model's inference agrees once told the text head width (64 in every
    // published CLIP, not in the small reference models).
    const int64_t head_width = r.config.transformer_width / r.config.transformer_heads;
    const nn::ClipConfig inferred = nn::infer_clip_config(r.state_dict, head_width);
    if (head_width != 64) QVERIFY_THROWS_EXCEPTION(Error, nn::infer_clip_config(r.state_dict));
    QVERIFY2(inferred == r.config, qPrintable(QString::fromStdString(inferred.to_string() + " vs " +
                                                                     r.config.to_string())));

    nn::Clip clip = build_loaded(r.config, r.state_dict);
    const Outputs out = run(clip, r.file);
    torch::NoGradGuard no_grad;
    const auto normalise = [](const torch::Tensor& t) { return t / t.norm(2, -1, true); };
    const std::vector<std::pair<std::string, torch::Tensor>> checks = {
        {"encode_image", out.image},
        {"encode_text", out.text},
        {"cos_sim", torch::matmul(normalise(out.image), normalise(out.text).t())},
        {"logits_per_image", out.logits_per_image},
        {"logits_per_text", out.logits_per_text},
        {"logit_scale_exp", clip->logit_scale().exp()}};
    const std::string failure =
        test::compare_with_reference(r.file, checks, kTolerance, path.section('/', -1).toStdString(), {"dbg.eot_index"});
    QVERIFY2(failure.empty(), failure.c_str());
    if (r.file.find("dbg.eot_index"))
      QVERIFY(torch::equal(r.file.at("tokens").argmax(-1), r.file.at("dbg.eot_index")));
  }

  // --precision bf16: linear, conv and attention weights in bfloat16, norms in float32.
  void bf16WeightsOnCpuStayNearReference() {
    for (const auto& path : test::reference_files("clip_")) {
      const Reference r = read_reference(path);
      nn::Clip clip = build_loaded(r.config, r.state_dict);
      clip->convert_weights(torch::kBFloat16);
      QCOMPARE(clip->dtype(), torch::kBFloat16);
      const Outputs out = run(clip, r.file);
      const double image_err = test::relative_error(out.image.to(torch::kFloat32), r.file.at("encode_image"));
      const double text_err = test::relative_error(out.text.to(torch::kFloat32), r.file.at("encode_text"));
      qInfo("%s: bf16 on the CPU: encode_image error %.3g, encode_text error %.3g", path.c_str(), image_err,
            text_err);
      QVERIFY2(image_err <= kBf16Limit, qPrintable(QString::number(image_err)));
      QVERIFY2(text_err <= kBf16Limit, qPrintable(QString::number(text_err)));
    }
  }

  void huggingFaceLayoutGivesIdenticalOutputs() {
    for (const auto& path : test::reference_files("clip_")) {
      const Reference r = read_reference(path);
      nn::Clip reference = build_loaded(r.config, r.state_dict);
      const std::vector<io::NamedTensor> hf = to_hf_layout(r.state_dict);
      QVERIFY(nn::is_hf_clip_layout(hf));
      QVERIFY(!nn::is_hf_clip_layout(r.state_dict));
      for (const auto& t : hf) QVERIFY2(t.name.rfind("unmapped.", 0) != 0, t.name.c_str());
      const std::vector<io::NamedTensor> back = nn::clip_from_hf_layout(hf);
      QCOMPARE(back.size(), r.state_dict.size());
      nn::Clip converted = build_loaded(r.config, back);
      expect_identical(run(converted, r.file), run(reference, r.file));
    }
  }

  void hfLayoutMissingProjectionIsReported() {
    const Reference r = read_reference(test::reference_files("clip_").front());
    std::vector<io::NamedTensor> hf = to_hf_layout(r.state_dict);
    hf.erase(std::remove_if(hf.begin(), hf.end(),
                            [](const io::NamedTensor& t) {
                              return t.name == "text_model.encoder.layers.0.self_attn.k_proj.bias";
                            }),
             hf.end());
    try {
      nn::clip_from_hf_layout(hf);
      QFAIL("accepted a layer without its k projection");
    } catch (const Error& e) {
      QVERIFY2(QString(e.what()).contains("transformer.resblocks.0.attn.in_proj_bias"), e.what());
    }
  }

  void loadsSafetensorsInBothLayouts() {
    const std::string dir = test::scratch_dir("clip_load");
    for (const auto& path : test::reference_files("clip_")) {
      const Reference r = read_reference(path);
      nn::Clip reference = build_loaded(r.config, r.state_dict);
      const Outputs expected = run(reference, r.file);
      // OpenAI names plus the scalar attributes TorchScript archives carry.
      std::vector<io::NamedTensor> openai = r.state_dict;
      openai.push_back({"input_resolution", torch::tensor(r.config.image_resolution)});
      openai.push_back({"context_length", torch::tensor(r.config.context_length)});
      openai.push_back({"vocab_size", torch::tensor(r.config.vocab_size)});
      io::write_safetensors(dir + "/openai.safetensors", openai);
      io::write_safetensors(dir + "/hf.safetensors", to_hf_layout(r.state_dict));
      nn::ClipLoadOptions options;
      options.text_head_width = r.config.transformer_width / r.config.transformer_heads;
      for (const char* file : {"/openai.safetensors", "/hf.safetensors"}) {
        nn::Clip clip = nn::load_clip(dir + file, torch::kCPU, options);
        QVERIFY(clip->config() == r.config);
        QVERIFY(!clip->is_training());
        expect_identical(run(clip, r.file), expected);
      }
    }
  }

  void gradientFlowsToImageOnly() {
    const Reference r = read_reference(test::reference_files("clip_").front());
    nn::Clip clip = build_loaded(r.config, r.state_dict);
    const torch::Tensor image = r.file.at("image").clone().requires_grad_(true);
    const torch::Tensor text = clip->encode_text(r.file.at("tokens")).detach();
    const torch::Tensor loss = torch::matmul(clip->encode_image(image), text.t()).sum();
    const torch::Tensor grad = torch::autograd::grad({loss}, {image})[0];
    QVERIFY(grad.sizes() == image.sizes() && torch::isfinite(grad).all().item<bool>());
    QVERIFY(grad.abs().max().item<double>() > 0);
    for (const auto& p : clip->parameters()) QVERIFY(!p.requires_grad());
  }
};

QTEST_GUILESS_MAIN(TestClip)
#include "test_clip.moc"
