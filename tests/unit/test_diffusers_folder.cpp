// Which files of a diffusers component folder hold its weights (single file, fp16 variant,
// PyTorch .bin, shards named by an index), and that sharded weights load like one file.
#include <torch/torch.h>

#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bd/error.h"
#include "pack/diffusers_folder.h"
#include "io/safetensors.h"
#include "test_support.h"

using namespace bd;
namespace fs = std::filesystem;

namespace {

void touch(const std::string& path) { std::ofstream(path) << "x"; }

std::string file_name(const std::string& path) { return fs::path(path).filename().string(); }

}  // namespace

class TestDiffusersFolder : public QObject {
  Q_OBJECT
 private slots:
  void picksTheWeightFiles() {
    const std::string dir = test::scratch_dir("diffusers_pick");
    const std::string stem = "diffusion_pytorch_model";
    try {
      pack::component_weight_files(dir, stem);
      QFAIL("found weights in an empty folder");
    } catch (const Error& e) {
      QCOMPARE(e.kind(), ErrorKind::ModelFiles);
      const QString msg = e.what();
      for (const char* name :
           {"diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors",
            "diffusion_pytorch_model.bin", "diffusion_pytorch_model.safetensors.index.json"})
        QVERIFY2(msg.contains(name), qPrintable(msg));
    }
    touch(dir + "/" + stem + ".bin");
    QCOMPARE(file_name(pack::component_weight_files(dir, stem).at(0)), stem + ".bin");
    touch(dir + "/" + stem + ".fp16.safetensors");
    QCOMPARE(file_name(pack::component_weight_files(dir, stem).at(0)), stem + ".fp16.safetensors");
    touch(dir + "/" + stem + ".safetensors");
    const auto files = pack::component_weight_files(dir, stem);
    QCOMPARE(files.size(), size_t{1});
    QCOMPARE(file_name(files[0]), stem + ".safetensors");
  }

  void shardsLoadLikeOneFile() {
    const std::string ref = test::refvectors_dir() + "/sd_unet_conv";
    const std::string dir = test::scratch_dir("diffusers_shards");
    fs::copy_file(ref + "/config.json", dir + "/config.json");
    const io::TensorFile whole = io::read_tensor_file(ref + "/diffusion_pytorch_model.safetensors");
    const size_t half = whole.tensors.size() / 2;
    const std::vector<io::NamedTensor> first(whole.tensors.begin(), whole.tensors.begin() + half);
    const std::vector<io::NamedTensor> second(whole.tensors.begin() + half, whole.tensors.end());
    const std::string a = "diffusion_pytorch_model-00001-of-00002.safetensors";
    const std::string b = "diffusion_pytorch_model-00002-of-00002.safetensors";
    io::write_safetensors(dir + "/" + a, first);
    io::write_safetensors(dir + "/" + b, second);
    nlohmann::json index = {{"metadata", nlohmann::json::object()},
                            {"weight_map", nlohmann::json::object()}};
    for (const auto& t : first) index["weight_map"][t.name] = a;
    for (const auto& t : second) index["weight_map"][t.name] = b;
    std::ofstream(dir + "/diffusion_pytorch_model.safetensors.index.json") << index.dump();

    const auto files = pack::component_weight_files(dir, "diffusion_pytorch_model");
    QCOMPARE(files.size(), size_t{2});
    nn::UNet2DConditionModel sharded = pack::load_unet2d_condition(dir, torch::kCPU);
    nn::UNet2DConditionModel single = pack::load_unet2d_condition(ref, torch::kCPU);
    const auto expected = single->named_parameters();
    for (const auto& p : sharded->named_parameters())
      QVERIFY2(torch::equal(p.value(), expected[p.key()]), p.key().c_str());

    // An index whose weight_map is not an object is refused by name.
    std::ofstream(dir + "/diffusion_pytorch_model.safetensors.index.json")
        << R"({"weight_map": []})";
    QVERIFY_THROWS_EXCEPTION(Error, pack::component_weight_files(dir, "diffusion_pytorch_model"));
  }

  void configProblemsNameTheFile() {
    const std::string ref = test::refvectors_dir() + "/sd_unet_conv";
    const std::string dir = test::scratch_dir("diffusers_bad_config");
    fs::copy_file(ref + "/diffusion_pytorch_model.safetensors",
                  dir + "/diffusion_pytorch_model.safetensors");
    nlohmann::json config;
    std::ifstream(ref + "/config.json") >> config;
    config["class_embed_type"] = "timestep";
    std::ofstream(dir + "/config.json") << config.dump();
    try {
      pack::load_unet2d_condition(dir, torch::kCPU);
      QFAIL("loaded a UNet with class embeddings");
    } catch (const Error& e) {
      const QString msg = e.what();
      QVERIFY2(msg.contains(QString::fromStdString(dir + "/config.json: 'class_embed_type'")),
               qPrintable(msg));
    }
  }

  void missingConfigIsNamed() {
    const std::string dir = test::scratch_dir("diffusers_no_config");
    try {
      pack::load_autoencoder_kl(dir, torch::kCPU);
      QFAIL("loaded a folder without config.json");
    } catch (const Error& e) {
      const QString msg = e.what();
      QVERIFY2(msg.startsWith(QString::fromStdString("loading AutoencoderKL from " + dir + ": ")) &&
                   msg.contains("config.json: cannot open"),
               qPrintable(msg));
    }
  }
};

QTEST_GUILESS_MAIN(TestDiffusersFolder)
#include "test_diffusers_folder.moc"
