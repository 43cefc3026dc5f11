// LPIPS(vgg, v0.1) against the original lpips package: golden vectors of a VGG16 with
// every width divided by 8 (tests/data/gen/make_lpips_reference.py; the published
// network's 58 MB are too big to commit), read from torchvision- and lpips-style .pth
// files (zip and legacy) — distances, per-layer terms and the input gradient within
// 1e-5 relative. The published widths are checked by shape; safetensors and lpips'
// own state-dict names load the same weights; a bad file lists every problem at once.
#include <torch/torch.h>

#include <QtTest/QtTest>
#include <cstdlib>
#include <functional>
#include <map>

#include "bd/error.h"
#include "io/safetensors.h"
#include "io/tensor_file.h"
#include "nn/layers.h"
#include "nn/lpips.h"
#include "test_support.h"

using namespace bd;

namespace {

constexpr double kTolerance = 1e-5;

std::string data(const std::string& name) {
  return test::source_path("tests/data/reference/" + name);
}

nn::Lpips load_reference_weights() {
  return nn::load_lpips({data("lpips_dev_vgg.pth"), data("lpips_dev_lin.pth")}, torch::kCPU);
}

std::vector<std::pair<std::string, torch::Tensor>> run(nn::Lpips& lpips,
                                                       const io::TensorFile& ref) {
  const torch::Tensor in0 = ref.at("in0"), in1 = ref.at("in1"), init = ref.at("init");
  std::vector<std::pair<std::string, torch::Tensor>> out;
  {
    torch::NoGradGuard no_grad;
    out.push_back({"lpips_pairs", lpips->forward(in0, in1)});
    out.push_back({"lpips_broadcast", lpips->forward(in0, init)});
    const auto terms = lpips->layer_terms(in0, in1);
    for (std::size_t k = 0; k < terms.size(); ++k)
      out.push_back({"dbg.layer" + std::to_string(k), terms[k]});
  }
  // Blended Diffusion's use: Σ_b LPIPS(background_b, init), differentiated w.r.t. the batch.
  const torch::Tensor x = in0.clone().requires_grad_(true);
  out.push_back(
      {"grad_broadcast_sum", torch::autograd::grad({lpips->forward(x, init).sum()}, {x})[0]});
  return out;
}

std::vector<io::NamedTensor> renamed(const std::vector<io::NamedTensor>& tensors,
                                     const std::function<std::string(const std::string&)>& f) {
  std::vector<io::NamedTensor> out;
  for (const auto& t : tensors) out.push_back({f(t.name), t.tensor});
  return out;
}

}  // namespace

class TestLpips : public QObject {
  Q_OBJECT

 private slots:
  void matchesOriginal() {
    const io::TensorFile ref = io::read_tensor_file(data("lpips_dev.pt"));
    const nlohmann::json sidecar = test::read_sidecar(data("lpips_dev.pt"));
    nn::Lpips lpips = load_reference_weights();
    QCOMPARE(lpips->config().width_divisor, sidecar.at("width_divisor").get<int64_t>());
    QVERIFY(!lpips->is_training());
    for (const auto& p : lpips->parameters()) QVERIFY(!p.requires_grad());
    const std::string failure =
        test::compare_with_reference(ref, run(lpips, ref), kTolerance, "lpips float32");
    QVERIFY2(failure.empty(), failure.c_str());
    // Identical images are at distance 0, different ones are not.
    const torch::Tensor d = ref.at("lpips_pairs");
    QCOMPARE(d[2].item<double>(), 0.0);
    QVERIFY(d[1].item<double>() > d[0].item<double>() && d[0].item<double>() > 0);
  }

  void publishedShapes() {
    // torchvision vgg16 features (cfg 'D') and lpips weights/v0.1/vgg.pth.
    const std::vector<std::pair<int, std::vector<int64_t>>> convs = {
        {0, {64, 3}},     {2, {64, 64}},    {5, {128, 64}},   {7, {128, 128}},  {10, {256, 128}},
        {12, {256, 256}}, {14, {256, 256}}, {17, {512, 256}}, {19, {512, 512}}, {21, {512, 512}},
        {24, {512, 512}}, {26, {512, 512}}, {28, {512, 512}}};
    std::map<std::string, std::vector<int64_t>> expected;
    for (const auto& [index, io] : convs) {
      expected["features." + std::to_string(index) + ".weight"] = {io[0], io[1], 3, 3};
      expected["features." + std::to_string(index) + ".bias"] = {io[0]};
    }
    const int64_t lins[] = {64, 128, 256, 512, 512};
    for (int k = 0; k < 5; ++k)
      expected["lin" + std::to_string(k) + ".model.1.weight"] = {1, lins[k], 1, 1};

    nn::Lpips full;
    std::map<std::string, std::vector<int64_t>> actual;
    for (const auto& t : nn::named_tensors(*full)) actual[t.name] = t.tensor.sizes().vec();
    QCOMPARE(actual.size(), std::size_t{31});
    QVERIFY(actual == expected);
    QCOMPARE(nn::parameter_count(*full), int64_t{14714688 + 1472});  // VGG16 features + lins
    QCOMPARE(
        nn::infer_lpips_config({{"features.0.weight", torch::zeros({64, 3, 3, 3})}}).width_divisor,
        int64_t{1});
  }

  // lpips' published weights/v0.1/vgg.pth (a legacy torch.save of CUDA tensors) when
  // $BLENDIFF_LPIPS_LIN points at it: read by our loader, its shapes are the published ones.
  void publishedLinFile() {
    const char* path = std::getenv("BLENDIFF_LPIPS_LIN");
    if (!path || !*path) QSKIP("set BLENDIFF_LPIPS_LIN to lpips' weights/v0.1/vgg.pth to check it");
    const io::TensorFile file = io::read_tensor_file(path);
    QCOMPARE(file.format, io::TensorFileFormat::TorchLegacy);
    nn::Lpips full;
    std::map<std::string, torch::Tensor> lins;
    for (const auto& t : nn::named_tensors(*full))
      if (t.name.rfind("lin", 0) == 0) lins[t.name] = t.tensor;
    QCOMPARE(file.tensors.size(), lins.size());
    for (const auto& t : file.tensors) {
      QVERIFY2(lins.count(t.name), t.name.c_str());
      QVERIFY2(lins.at(t.name).sizes() == t.tensor.sizes(), t.name.c_str());
      QVERIFY(t.tensor.min().item<double>() >= 0);  // trained lin weights are clamped at 0
    }
  }

  void safetensorsAndLpipsNamesLoadTheSame() {
    const io::TensorFile ref = io::read_tensor_file(data("lpips_dev.pt"));
    nn::Lpips base = load_reference_weights();
    const auto expected = run(base, ref);
    const std::string dir = test::scratch_dir("test_lpips");
    const auto tensors = nn::named_tensors(*base);
    io::write_safetensors(dir + "/lpips.safetensors", tensors);
    // An lpips.LPIPS state dict: net.sliceK.N.* and every lin twice (linK, lins.K).
    auto as_lpips = renamed(tensors, [](const std::string& n) {
      static const std::map<int, int> slice_of = {{0, 1},  {2, 1},  {5, 2},  {7, 2},  {10, 3},
                                                  {12, 3}, {14, 3}, {17, 4}, {19, 4}, {21, 4},
                                                  {24, 5}, {26, 5}, {28, 5}};
      if (n.rfind("features.", 0) != 0) return n;
      const int index = std::stoi(n.substr(9));
      return "net.slice" + std::to_string(slice_of.at(index)) + "." + n.substr(9);
    });
    for (const auto& t : tensors)
      if (t.name.rfind("lin", 0) == 0) as_lpips.push_back({"lins." + t.name.substr(3), t.tensor});
    as_lpips.push_back(
        {"scaling_layer.shift", torch::tensor({-.030, -.088, -.188}).view({1, 3, 1, 1})});
    io::write_safetensors(dir + "/lpips_state_dict.safetensors", as_lpips);
    for (const char* file : {"/lpips.safetensors", "/lpips_state_dict.safetensors"}) {
      nn::Lpips lpips = nn::load_lpips({dir + file}, torch::kCPU);
      const auto got = run(lpips, ref);
      QCOMPARE(got.size(), expected.size());
      for (std::size_t i = 0; i < got.size(); ++i)
        QVERIFY2(torch::equal(got[i].second, expected[i].second), file);
    }
  }

  void badFilesListEveryProblem() {
    nn::Lpips base = load_reference_weights();
    std::vector<io::NamedTensor> tensors;
    for (const auto& t : nn::named_tensors(*base)) {
      if (t.name == "features.12.bias") continue;  // missing
      if (t.name == "lin3.model.1.weight")
        tensors.push_back({t.name, torch::zeros({1, 7, 1, 1})});  // mis-shaped
      else
        tensors.push_back(t);
    }
    tensors.push_back({"features.30.weight", torch::zeros({1})});  // unexpected
    const std::string path = test::scratch_dir("test_lpips_bad") + "/bad.safetensors";
    io::write_safetensors(path, tensors);
    try {
      nn::load_lpips({path}, torch::kCPU);
      QFAIL("loaded a bad file");
    } catch (const Error& e) {
      const std::string what = e.what();
      QCOMPARE(e.kind(), ErrorKind::ModelFiles);
      for (const char* needle : {"loading LPIPS from", "bad.safetensors", "features.12.bias",
                                 "lin3.model.1.weight", "features.30.weight"})
        QVERIFY2(what.find(needle) != std::string::npos,
                 (std::string(needle) + " not in: " + what).c_str());
    }
    // Only the lin file: every trunk tensor is reported missing, in one message.
    try {
      nn::load_lpips({data("lpips_dev_lin.pth")}, torch::kCPU);
      QFAIL("loaded without the trunk");
    } catch (const Error& e) {
      const std::string what = e.what();
      QVERIFY2(what.find("missing keys (26)") != std::string::npos, what.c_str());
      QVERIFY2(what.find("lin0.model.1.weight: file [1, 8, 1, 1], model [1, 64, 1, 1]") !=
                   std::string::npos,
               what.c_str());
    }
  }
};

QTEST_GUILESS_MAIN(TestLpips)
#include "test_lpips.moc"
