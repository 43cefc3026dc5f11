#include "test_support.h"

#include <QtTest/QtTest>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace bd::test {

std::string refvectors_dir() {
  if (const char* env = std::getenv("BLENDIFF_REFVECTORS"); env != nullptr && *env != '\0') return env;
  return std::string(BLENDIFF_SOURCE_DIR) + "/tests/data/reference";
}

std::vector<std::string> reference_files(const std::string& prefix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(refvectors_dir(), ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && e.path().extension() == ".pt") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void add_reference_rows(const std::string& prefix) {
  QTest::addColumn<QString>("path");
  for (const std::string& path : reference_files(prefix))
    QTest::newRow(fs::path(path).filename().string().c_str()) << QString::fromStdString(path);
}

nlohmann::json read_sidecar(const std::string& pt_path) {
  fs::path p(pt_path);
  p.replace_extension(".json");
  std::ifstream in(p);
  if (!in) throw std::runtime_error("missing sidecar " + p.string());
  return nlohmann::json::parse(in);
}

std::string clip_vocab_path() {
  const std::string name = "bpe_simple_vocab_16e6.txt.gz";
  for (const std::string& dir : {refvectors_dir(), std::string(BLENDIFF_SOURCE_DIR) + "/../shared/refvectors"}) {
    if (fs::exists(dir + "/" + name)) return dir + "/" + name;
  }
  return {};
}

double relative_error(const torch::Tensor& a, const torch::Tensor& ref) {
  auto x = a.detach().to(torch::kCPU, torch::kFloat64);
  auto r = ref.detach().to(torch::kCPU, torch::kFloat64);
  const double denom = r.abs().max().item<double>();
  const double num = (x - r).abs().max().item<double>();
  return denom == 0.0 ? num : num / denom;
}

std::string compare_with_reference(const io::TensorFile& file,
                                   const std::vector<std::pair<std::string, torch::Tensor>>& checks,
                                   double tolerance, const std::string& label,
                                   std::set<std::string> also_compared) {
  std::string failure;
  for (const auto& [name, value] : checks) {
    also_compared.insert(name);
    if (!file.find(name)) {  // intermediates are optional, outputs are not
      if (name.rfind("dbg.", 0) != 0 && failure.empty()) failure = "reference lacks " + name;
      continue;
    }
    const torch::Tensor& ref = file.at(name);
    if (value.sizes() != ref.sizes()) {
      if (failure.empty()) failure = name + ": shape differs";
      continue;
    }
    const double err = relative_error(value, ref);
    std::printf("%s %s: relative error %.3g\n", label.c_str(), name.c_str(), err);
    if (err > tolerance && failure.empty()) failure = name + ": " + std::to_string(err);
  }
  for (const auto& t : file.tensors)
    if (t.name.rfind("dbg.", 0) == 0 && !also_compared.count(t.name))
      std::fprintf(stderr, "WARNING: %s: %s is not compared\n", label.c_str(), t.name.c_str());
  return failure;
}

std::string scratch_dir(const std::string& name) {
  fs::path p = fs::path(BLENDIFF_BINARY_DIR) / "test-scratch" / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

std::string source_path(const std::string& relative) {
  return std::string(BLENDIFF_SOURCE_DIR) + "/" + relative;
}

}  // namespace bd::test
