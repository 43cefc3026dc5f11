#pragma once
// The Stable Diffusion reference vectors: NAME.pt (inputs, outputs, dbg.* intermediates),
// NAME.json (sidecar with the network's config.json as "config") and NAME/ (the
// save_pretrained folder: config.json and fp16 safetensors weights).
#include <torch/torch.h>

#include <QtTest/QtTest>

#include <filesystem>
#include <string>
#include <vector>

#include "bd/error.h"
#include "io/safetensors.h"
#include "io/tensor_file.h"
#include "test_support.h"

namespace bd::test {

struct SDReference {
  std::string name;    // e.g. "sd_unet_conv"
  std::string folder;  // the save_pretrained folder
  io::TensorFile file;
  nlohmann::json sidecar;
};

inline SDReference read_sd_reference(const std::string& pt_path) {
  std::filesystem::path p(pt_path);
  const std::string folder = (p.parent_path() / p.stem()).string();
  return {p.stem().string(), folder, io::read_tensor_file(pt_path), read_sidecar(pt_path)};
}

// Adds one data row per "<prefix>*.pt" reference.
inline void add_reference_rows(const std::string& prefix) {
  QTest::addColumn<QString>("path");
  for (const auto& p : reference_files(prefix))
    QTest::newRow(p.substr(p.find_last_of('/') + 1).c_str()) << QString::fromStdString(p);
}

// A copy of a component folder in the scratch tree whose weights lack `drop`, hold `wrong`
// with one more row, and carry an extra "bogus.weight": a loader must name all three at once.
inline std::string broken_component_copy(const std::string& folder, const std::string& weights,
                                         const std::string& scratch, const std::string& drop,
                                         const std::string& wrong) {
  namespace fs = std::filesystem;
  const std::string dir = scratch_dir(scratch);
  fs::copy_file(fs::path(folder) / "config.json", fs::path(dir) / "config.json");
  const io::TensorFile file = io::read_tensor_file((fs::path(folder) / weights).string());
  std::vector<io::NamedTensor> tensors;
  for (const auto& t : file.tensors) {
    if (t.name == drop) continue;
    if (t.name == wrong) {
      std::vector<int64_t> shape = t.tensor.sizes().vec();
      shape[0] += 1;
      tensors.push_back({t.name, torch::zeros(shape, t.tensor.options())});
    } else {
      tensors.push_back(t);
    }
  }
  tensors.push_back({"bogus.weight", torch::zeros({2})});
  io::write_safetensors((fs::path(dir) / weights).string(), tensors);
  return dir;
}

// Runs `load` and checks that it fails once with a ModelFiles error that starts with
// `prefix` and names all three problems broken_component_copy made.
template <typename Load>
void expect_all_problems_reported(Load load, const std::string& prefix, const std::string& drop,
                                  const std::string& wrong) {
  try {
    load();
    QFAIL("loaded a broken state dict");
  } catch (const Error& e) {
    const QString msg = e.what();
    QCOMPARE(e.kind(), ErrorKind::ModelFiles);
    QVERIFY2(msg.startsWith(QString::fromStdString(prefix)), qPrintable(msg));
    QVERIFY2(msg.contains("missing keys (1)") && msg.contains(QString::fromStdString(drop)),
             qPrintable(msg));
    QVERIFY2(msg.contains("unexpected keys (1)") && msg.contains("bogus.weight"), qPrintable(msg));
    QVERIFY2(msg.contains("shape mismatches (1)") &&
                 msg.contains(QString::fromStdString(wrong + ": file [")),
             qPrintable(msg));
  }
}

}  // namespace bd::test
