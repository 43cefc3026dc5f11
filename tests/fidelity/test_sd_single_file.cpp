// Stable Diffusion 1.x as one ldm-layout checkpoint file: every SD 1.5 key maps to the
// diffusers name diffusers' own converters give it (tests/data/sd15_ldm_keys.txt), and the
// reference networks written as one such file load and reproduce their golden outputs.
#include <torch/torch.h>

#include <QtTest/QtTest>

#include <map>
#include <nlohmann/json.hpp>

#include "bd/error.h"
#include "pack/diffusers_config.h"
#include "pack/ldm_checkpoint.h"
#include "io/safetensors.h"
#include "key_manifest.h"
#include "sd_reference.h"
#include "test_support.h"

using namespace bd;

namespace {

constexpr double kTolerance = 1e-5;

// A tensor of that shape with (almost) no memory behind it.
torch::Tensor no_memory(const std::vector<int64_t>& shape) {
  return torch::zeros({1}).expand(shape);
}

std::map<std::string, std::vector<int64_t>> diffusers_shapes() {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const char* f : {"sd15_unet_keys.txt", "sd15_vae_keys.txt", "sd15_text_encoder_keys.txt"})
    for (const auto& row : test::read_manifest(std::string("tests/data/") + f))
      shapes[row.columns.at(0)] = row.shape(1);
  return shapes;
}

std::string folder(const std::string& name) { return test::refvectors_dir() + "/" + name; }

// The tiny reference networks as one ldm file, wrapped in "state_dict." as .ckpt files are,
// with the extra tensors real files carry; `drop` is left out, `extra` added.
std::string write_tiny_single_file(const std::string& scratch, const std::string& drop = "",
                                   const std::string& extra = "") {
  std::map<std::string, torch::Tensor> diffusers;
  for (const auto& [dir, weights, prefix] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"sd_unet_conv", "diffusion_pytorch_model.safetensors", ""},
           {"sd_vae", "diffusion_pytorch_model.safetensors", ""},
           {"sd_clip_text_quick_gelu", "model.safetensors", "text_model."}})
    for (const auto& t : io::read_tensor_file(folder(dir) + "/" + weights).tensors)
      diffusers[prefix + t.name] = t.tensor;
  std::vector<io::NamedTensor> ldm;
  for (const auto& row : test::read_manifest("tests/data/reference/sd_ldm_tiny_keys.txt")) {
    if (row.columns.at(0) == drop) continue;
    ldm.push_back(
        {"state_dict." + row.columns.at(0), diffusers.at(row.columns.at(1)).reshape(row.shape(2))});
  }
  ldm.push_back({"state_dict.model_ema.decay", torch::ones({1})});
  ldm.push_back({"state_dict.alphas_cumprod", torch::rand({1000})});
  ldm.push_back({"state_dict.cond_stage_model.transformer.text_model.embeddings.position_ids",
                 torch::arange(77).unsqueeze(0)});
  if (!extra.empty()) ldm.push_back({"state_dict." + extra, torch::zeros({3})});
  const std::string path = test::scratch_dir(scratch) + "/model.safetensors";
  io::write_safetensors(path, ldm);
  return path;
}

pack::SDConfigs tiny_configs() {
  pack::SDConfigs c;
  c.unet = pack::unet2d_condition_config_from_json(
      pack::read_json_file(folder("sd_unet_conv") + "/config.json"));
  c.vae =
      pack::autoencoder_kl_config_from_json(pack::read_json_file(folder("sd_vae") + "/config.json"));
  c.text_encoder = pack::clip_text_config_from_json(
      pack::read_json_file(folder("sd_clip_text_quick_gelu") + "/config.json"));
  return c;
}

}  // namespace

class TestSDSingleFile : public QObject {
  Q_OBJECT
 private slots:
  void sd15KeysMapAsDiffusersDoes() {
    const auto rows = test::read_manifest("tests/data/sd15_ldm_keys.txt");
    QCOMPARE(rows.size(), size_t{686 + 248 + 196});
    const auto expected = diffusers_shapes();
    QCOMPARE(expected.size(), rows.size());
    torch::NoGradGuard no_grad;
    for (const auto& row : rows) {
      const pack::LdmComponents parts =
          pack::split_ldm_checkpoint({{row.columns.at(0), no_memory(row.shape(2))}}, {}, {});
      std::vector<io::NamedTensor> all = parts.unet;
      all.insert(all.end(), parts.vae.begin(), parts.vae.end());
      all.insert(all.end(), parts.text_encoder.begin(), parts.text_encoder.end());
      QVERIFY2(all.size() == 1 && parts.ignored == 0, row.columns[0].c_str());
      // The text encoder's keys go through the same rename its loader applies.
      const std::string name =
          parts.text_encoder.empty() ? all[0].name : *nn::clip_text_key(all[0].name);
      QVERIFY2(name == row.columns.at(1), (row.columns[0] + " -> " + name).c_str());
      QVERIFY2(all[0].tensor.sizes() == c10::IntArrayRef(expected.at(name)), name.c_str());
    }
  }

  void tinySingleFileMatchesReferences() {
    const std::string path = write_tiny_single_file("sd_single_file");
    pack::SDNetworks nets = pack::load_sd_single_file(path, torch::kCPU, tiny_configs());
    QVERIFY(!nets.unet->is_training() && !nets.vae->is_training());
    torch::NoGradGuard no_grad;
    const test::SDReference u = test::read_sd_reference(folder("sd_unet_conv") + ".pt");
    const test::SDReference v = test::read_sd_reference(folder("sd_vae") + ".pt");
    const test::SDReference c = test::read_sd_reference(folder("sd_clip_text_quick_gelu") + ".pt");
    const std::vector<std::pair<std::string, double>> errors = {
        {"unet out",
         test::relative_error(nets.unet->forward(u.file.at("sample"), u.file.at("timestep"),
                                                 u.file.at("encoder_hidden_states")),
                              u.file.at("out"))},
        {"vae mean",
         test::relative_error(nets.vae->encode(v.file.at("x")).mean, v.file.at("mean"))},
        {"vae decoded",
         test::relative_error(nets.vae->decode(v.file.at("z")), v.file.at("decoded"))},
        {"text",
         test::relative_error(nets.text_encoder->forward(c.file.at("input_ids")).last_hidden_state,
                              c.file.at("last_hidden_state"))}};
    for (const auto& [what, err] : errors) {
      qInfo("single file %s: relative error %.3g", what.c_str(), err);
      QVERIFY2(err <= kTolerance, what.c_str());
    }
  }

  void loadNamesMissingAndUnknownKeys() {
    const std::string drop = "model.diffusion_model.middle_block.2.out_layers.3.weight";
    const std::string extra = "model.diffusion_model.input_blocks.1.7.weight";
    const std::string path = write_tiny_single_file("sd_single_file_broken", drop, extra);
    try {
      pack::load_sd_single_file(path, torch::kCPU, tiny_configs());
      QFAIL("loaded a broken single file");
    } catch (const Error& e) {
      const QString msg = e.what();
      QCOMPARE(e.kind(), ErrorKind::ModelFiles);
      QVERIFY2(
          msg.startsWith(QString::fromStdString("loading Stable Diffusion from " + path + ": ")),
          qPrintable(msg));
      QVERIFY2(msg.contains("(UNet, model.diffusion_model.*)"), qPrintable(msg));
      QVERIFY2(msg.contains("missing keys (1)") && msg.contains("mid_block.resnets.1.conv2.weight"),
               qPrintable(msg));
      QVERIFY2(msg.contains("unexpected keys (1)") && msg.contains("input_blocks.1.7.weight"),
               qPrintable(msg));
    }
  }

  void refusesWhatItCannotRead() {
    const std::vector<io::NamedTensor> sd2 = {
        {"cond_stage_model.model.ln_final.weight", torch::zeros({2})}};
    QVERIFY_THROWS_EXCEPTION(Error, pack::split_ldm_checkpoint(sd2, {}, {}));
    nn::UNet2DConditionConfig uneven;
    uneven.layers_per_block = {2, 2, 1, 2};
    QVERIFY_THROWS_EXCEPTION(Error, pack::split_ldm_checkpoint({}, uneven, {}));
    // Keys that follow no ldm pattern stay as they are (and so are reported as unexpected).
    QCOMPARE(pack::unet_key_from_ldm("input_blocks.x.0.weight", 2),
             std::string("input_blocks.x.0.weight"));
    QCOMPARE(pack::vae_key_from_ldm("decoder.up.9.block.0.conv1.weight", 4),
             std::string("decoder.up.9.block.0.conv1.weight"));
  }
};

QTEST_GUILESS_MAIN(TestSDSingleFile)
#include "test_sd_single_file.moc"
