// ADM UNet against guided-diffusion's UNetModel: every unet_*.pt reference (config from
// its sidecar's create_model_kwargs), outputs and intermediates within 1e-5 relative.
#include <torch/torch.h>

#include <QtTest/QtTest>

#include "bd/error.h"
#include "io/safetensors.h"
#include "io/state_dict.h"
#include "io/tensor_file.h"
#include "nn/unet.h"
#include "test_support.h"

using namespace bd;

namespace {

constexpr double kTolerance = 1e-5;
// bfloat16 (--precision bf16) on the CPU: 0.016 measured on the reference UNet; about three
// times that is the bound.
constexpr double kBf16Limit = 5e-2;

nn::CreateModelArgs args_from_json(const nlohmann::json& k) {
  nn::CreateModelArgs a;
  a.image_size = k.at("image_size");
  a.num_channels = k.at("num_channels");
  a.num_res_blocks = k.at("num_res_blocks");
  a.channel_mult = k.value("channel_mult", std::string());
  a.attention_resolutions = k.at("attention_resolutions");
  a.num_heads = k.value("num_heads", a.num_heads);
  a.num_head_channels = k.value("num_head_channels", a.num_head_channels);
  a.num_heads_upsample = k.value("num_heads_upsample", a.num_heads_upsample);
  a.learn_sigma = k.at("learn_sigma");
  a.class_cond = k.at("class_cond");
  a.use_scale_shift_norm = k.at("use_scale_shift_norm");
  a.dropout = k.value("dropout", 0.0);
  a.resblock_updown = k.at("resblock_updown");
  a.use_new_attention_order = k.value("use_new_attention_order", false);
  return a;
}

struct Reference {
  io::TensorFile file;
  nlohmann::json sidecar;
  nn::UNetConfig config;
  std::vector<io::NamedTensor> state_dict;  // without the "sd." prefix
};

Reference read_reference(const std::string& path) {
  Reference r{io::read_tensor_file(path), test::read_sidecar(path), {}, {}};
  r.config = nn::unet_config_from_args(args_from_json(r.sidecar.at("create_model_kwargs")));
  r.state_dict = nn::strip_prefix(r.file.tensors, "sd.");
  return r;
}

nn::UNet build_loaded(const Reference& r) {
  nn::UNet unet(r.config);
  io::load_state_dict(*unet, r.state_dict, r.file.path);
  nn::freeze(*unet);
  return unet;
}

}  // namespace

class TestUNet : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    torch::manual_seed(0);
    QVERIFY2(!test::reference_files("unet_").empty(), "no unet_*.pt reference vectors");
  }

  void timestepEmbeddingIsCosFirst() {
    // reference-spec §4.1 values for t = 747.
    const torch::Tensor e = nn::timestep_embedding(torch::tensor({747.0f}), 256)[0];
    const std::vector<std::pair<int, double>> expected = {
        {0, 0.765453},    {1, -0.663467},   {2, 0.957445},   {128, -0.643492},
        {129, -0.748205}, {130, -0.288616}, {127, 0.996780}, {255, 0.080187}};
    for (const auto& [i, v] : expected)
      QVERIFY2(std::abs(e[i].item<double>() - v) < 2e-6, qPrintable(QString::number(i)));
  }

  void matchesReference_data() { test::add_reference_rows("unet_"); }
  void matchesReference() {
    QFETCH(QString, path);
    const Reference r = read_reference(path.toStdString());
    // The inferred config is the one the kwargs describe, except what shapes cannot tell.
    nn::UNetConfig unobservable;
    unobservable.num_heads = r.config.num_heads;
    unobservable.num_head_channels = r.config.num_head_channels;
    unobservable.num_heads_upsample = r.config.num_heads_upsample;
    unobservable.use_new_attention_order = r.config.use_new_attention_order;
    unobservable.dropout = r.config.dropout;
    const nn::UNetConfig inferred = nn::infer_unet_config(r.state_dict, unobservable);
    QVERIFY2(inferred == r.config, qPrintable(QString::fromStdString(inferred.to_string() + " vs " +
                                                                     r.config.to_string())));

    nn::UNet unet = build_loaded(r);
    torch::NoGradGuard no_grad;
    nn::UNetTrace trace;
    const torch::Tensor y = r.file.find("y") ? r.file.at("y") : torch::Tensor();
    const torch::Tensor out = unet->forward(r.file.at("x"), r.file.at("t"), y, &trace);
    const std::vector<std::pair<std::string, torch::Tensor>> checks = {
        {"out", out},
        {"dbg.t_emb_sin", trace.t_emb_sin},
        {"dbg.emb", trace.emb},
        {"dbg.middle_out", trace.middle_out}};
    const std::string failure = test::compare_with_reference(r.file, checks, kTolerance, path.section('/', -1).toStdString());
    QVERIFY2(failure.empty(), failure.c_str());
  }

  void gradientFlowsToInputOnly() {
    const Reference r = read_reference(test::reference_files("unet_").front());
    nn::UNet unet = build_loaded(r);
    const torch::Tensor x = r.file.at("x").clone().requires_grad_(true);
    const torch::Tensor out = unet->forward(x, r.file.at("t"));
    const torch::Tensor grad = torch::autograd::grad({out.pow(2).sum()}, {x})[0];
    QVERIFY(grad.sizes() == x.sizes());
    QVERIFY(torch::isfinite(grad).all().item<bool>());
    QVERIFY(grad.abs().max().item<double>() > 0);
    for (const auto& p : unet->parameters()) QVERIFY(!p.requires_grad() && !p.grad().defined());
    // Directional derivative against a central difference (float32, loose bound).
    torch::NoGradGuard no_grad;
    const torch::Tensor d = torch::randn_like(x);
    const double eps = 1e-2;
    const double plus = unet->forward(x + eps * d, r.file.at("t")).pow(2).sum().item<double>();
    const double minus = unet->forward(x - eps * d, r.file.at("t")).pow(2).sum().item<double>();
    const double numeric = (plus - minus) / (2 * eps);
    const double analytic = (grad * d).sum().item<double>();
    QVERIFY2(std::abs(numeric - analytic) <= 1e-2 * std::abs(analytic) + 1e-3,
             qPrintable(QString("%1 vs %2").arg(numeric).arg(analytic)));
  }

  void loadUnetFromSafetensors() {
    const Reference r = read_reference(test::reference_files("unet_").front());
    const std::string dir = test::scratch_dir("unet_load");
    const std::string good = dir + "/unet.safetensors";
    io::write_safetensors(good, r.state_dict);
    nn::UNetLoadOptions options;
    options.unobservable.num_head_channels = r.config.num_head_channels;
    nn::UNet unet = nn::load_unet(good, torch::kCPU, options);
    QVERIFY(unet->config() == r.config);
    QVERIFY(!unet->is_training());
    torch::NoGradGuard no_grad;
    const double err =
        test::relative_error(unet->forward(r.file.at("x"), r.file.at("t")), r.file.at("out"));
    QVERIFY2(err <= kTolerance, qPrintable(QString::number(err)));

    // A file missing a key fails once, naming the stage, the file and the key.
    std::vector<io::NamedTensor> partial(r.state_dict.begin() + 1, r.state_dict.end());
    const std::string bad = dir + "/partial.safetensors";
    io::write_safetensors(bad, partial);
    try {
      nn::load_unet(bad, torch::kCPU, options);
      QFAIL("loaded a partial state dict");
    } catch (const Error& e) {
      const QString msg = e.what();
      QCOMPARE(e.kind(), ErrorKind::ModelFiles);
      QVERIFY2(msg.startsWith(QString::fromStdString("loading UNet from " + bad + ": ")),
               qPrintable(msg));
      QVERIFY2(msg.contains(QString::fromStdString(r.state_dict.front().name)), qPrintable(msg));
    }
  }

  void fp16TorsoMatchesReferenceScheme() {
    // convert_to_fp16 touches only the torso's convolutions (reference-spec §4.4).
    const Reference r = read_reference(test::reference_files("unet_").front());
    nn::UNet unet = build_loaded(r);
    unet->convert_to_fp16();
    for (const auto& p : unet->named_parameters()) {
      const std::string& k = p.key();
      const bool torso = k.rfind("input_blocks", 0) == 0 || k.rfind("middle_block", 0) == 0 ||
                         k.rfind("output_blocks", 0) == 0;
      const bool norm_or_emb = k.find("norm") != std::string::npos ||
                               k.find("layers.0.") != std::string::npos ||
                               k.find("emb_layers") != std::string::npos;
      const auto expected = torso && !norm_or_emb ? torch::kFloat16 : torch::kFloat32;
      QVERIFY2(p.value().scalar_type() == expected, k.c_str());
    }
    if (!torch::cuda::is_available()) QSKIP("fp16 forward needs CUDA");
    unet->to(torch::kCUDA);
    torch::NoGradGuard no_grad;
    const torch::Tensor out = unet->forward(r.file.at("x").cuda(), r.file.at("t").cuda());
    QCOMPARE(out.scalar_type(), torch::kFloat32);
    const double err = test::relative_error(out, r.file.at("out"));
    qInfo("fp16 torso on CUDA: relative error %.3g", err);
    QVERIFY2(err <= 5e-2, qPrintable(QString::number(err)));
  }

  // The bf16 mode (--precision bf16) on this CPU: the same torso scheme in bfloat16, whose
  // 8-bit mantissa costs about two decimal digits against the float32 reference.
  void bf16TorsoOnCpuStaysNearReference() {
    for (const auto& path : test::reference_files("unet_")) {
      const Reference r = read_reference(path);
      nn::UNet unet = build_loaded(r);
      unet->convert_torso(torch::kBFloat16);
      QCOMPARE(unet->torso_dtype(), torch::kBFloat16);
      torch::NoGradGuard no_grad;
      const torch::Tensor out = unet->forward(r.file.at("x"), r.file.at("t"));
      QCOMPARE(out.scalar_type(), torch::kFloat32);
      const double err = test::relative_error(out, r.file.at("out"));
      qInfo("%s: bf16 torso on the CPU: relative error %.3g", path.c_str(), err);
      QVERIFY2(err <= kBf16Limit, qPrintable(QString::number(err)));
    }
  }
};

QTEST_GUILESS_MAIN(TestUNet)
#include "test_unet.moc"
