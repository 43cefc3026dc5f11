// PyTorch checkpoints (zip, legacy, nested, deflated), TorchScript archives, and the
// unpickler's refusal to run code. Fixtures: tests/data/gen/make_checkpoint_fixtures.py.
#include <QtTest/QtTest>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "bd/error.h"
#include "io/pickle.h"
#include "io/state_dict.h"
#include "io/tensor_file.h"
#include "io/torch_pickle.h"
#include "test_support.h"

using namespace bd;

namespace {

std::string fixture(const std::string& name) { return test::source_path("tests/data/checkpoints/" + name); }

nlohmann::json load_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

void expect_matches(const io::TensorFile& file, const nlohmann::json& expected, const std::string& prefix = "") {
  QCOMPARE(file.tensors.size(), expected.size());
  for (auto it = expected.begin(); it != expected.end(); ++it) {
    const torch::Tensor& t = file.at(prefix + it.key());
    const std::string dtype = c10::toString(t.scalar_type());
    QVERIFY2(t.sizes().vec() == it.value()["shape"].get<std::vector<int64_t>>(), it.key().c_str());
    const auto values = it.value()["values"].get<std::vector<double>>();
    const torch::Tensor flat = t.to(torch::kFloat64).flatten();
    QCOMPARE(flat.numel(), static_cast<int64_t>(values.size()));
    for (std::size_t i = 0; i < values.size(); ++i) QCOMPARE(flat[i].item<double>(), values[i]);
    const std::string want = it.value()["dtype"];
    QVERIFY2(io::to_string(file.format) != nullptr && !want.empty(), it.key().c_str());
  }
}

void expect_refused(const std::string& path, const QString& needle) {
  try {
    io::read_tensor_file(path);
    QFAIL(qPrintable("accepted " + QString::fromStdString(path)));
  } catch (const Error& e) {
    QCOMPARE(e.kind(), ErrorKind::ModelFiles);
    const QString msg = e.what();
    QVERIFY2(msg.contains(QString::fromStdString(path)), qPrintable(msg));
    QVERIFY2(msg.contains(needle), qPrintable(msg));
  }
}

}  // namespace

class TestCheckpoints : public QObject {
  Q_OBJECT
 private slots:
  void readsEveryTorchSaveLayout_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("format");
    QTest::newRow("zip, folder named after file") << "tiny_zip.pt" << int(io::TensorFileFormat::TorchZip);
    QTest::newRow("zip, folder 'archive'") << "tiny_archive.pt" << int(io::TensorFileFormat::TorchZip);
    QTest::newRow("zip, deflated entries") << "tiny_deflated.pt" << int(io::TensorFileFormat::TorchZip);
    QTest::newRow("legacy pre-1.6") << "tiny_legacy.pt" << int(io::TensorFileFormat::TorchLegacy);
  }
  void readsEveryTorchSaveLayout() {
    QFETCH(QString, file);
    QFETCH(int, format);
    const io::TensorFile f = io::read_tensor_file(fixture(file.toStdString()));
    QCOMPARE(int(f.format), format);
    expect_matches(f, load_json(fixture("expected.json")));
    QCOMPARE(f.at("half").scalar_type(), torch::kFloat16);
    QCOMPARE(f.at("bf16").scalar_type(), torch::kBFloat16);
    QCOMPARE(f.at("steps").scalar_type(), torch::kInt64);
    QCOMPARE(f.at("flags").scalar_type(), torch::kBool);
  }

  void flattensNestedCheckpoints() {
    const io::TensorFile f = io::read_tensor_file(fixture("nested.pt"));
    expect_matches(f, load_json(fixture("expected.json")), "state_dict.");
    QCOMPARE(f.metadata.at("epoch"), std::string("3"));
  }

  void readsTorchScriptParametersAndBuffersOnly() {
    const io::TensorFile f = io::read_tensor_file(fixture("tiny_script.pt"));
    QCOMPARE(f.format, io::TensorFileFormat::TorchScript);
    // attn_mask is a plain attribute: state_dict() leaves it out, so do we.
    QVERIFY(f.find("attn_mask") == nullptr);
    expect_matches(f, load_json(fixture("tiny_script.json")));
    QCOMPARE(f.at("conv.weight").scalar_type(), torch::kFloat16);
  }

  void refusesCodeInPickles_data() {
    QTest::addColumn<QString>("file");
    QTest::newRow("zip checkpoint calling os.system") << "evil_os_system.pt";
    QTest::newRow("legacy checkpoint calling os.system") << "evil_legacy.pt";
  }
  void refusesCodeInPickles() {
    QFETCH(QString, file);
    expect_refused(fixture(file.toStdString()), "posix.system");
  }

  void refusesAnyNonWhitelistedGlobal_data() {
    QTest::addColumn<QByteArray>("pickle");
    QTest::addColumn<QString>("global");
    // PROTO 2, GLOBAL, args, REDUCE, STOP: the smallest "call this" pickle.
    QTest::newRow("os.system") << QByteArray("\x80\x02" "cos\nsystem\nX\x02\x00\x00\x00ls\x85R.", 27) << "os.system";
    QTest::newRow("builtins.eval") << QByteArray("\x80\x02" "cbuiltins\neval\nX\x01\x00\x00\x001\x85R.", 30) << "builtins.eval";
    QTest::newRow("subprocess.Popen via STACK_GLOBAL")
        << QByteArray("\x80\x02X\x0a\x00\x00\x00subprocessX\x05\x00\x00\x00Popen\x93.", 29) << "subprocess.Popen";
    QTest::newRow("torch.load itself") << QByteArray("\x80\x02" "ctorch\nload\n.", 15) << "torch.load";
  }
  void refusesAnyNonWhitelistedGlobal() {
    QFETCH(QByteArray, pickle);
    QFETCH(QString, global);
    std::vector<io::pickle::ValueId> storages;
    io::pickle::Unpickler u(reinterpret_cast<const std::uint8_t*>(pickle.data()), pickle.size(), "test.pkl",
                            io::torch_pickle_hooks({}, &storages));
    try {
      u.load();
      QFAIL("a non-whitelisted global was accepted");
    } catch (const Error& e) {
      const QString msg = e.what();
      QVERIFY2(msg.contains(global) && msg.contains("not allowed"), qPrintable(msg));
    }
  }

  void reportsTruncationAndGarbage() {
    const std::string dir = test::scratch_dir("checkpoints_bad");
    const std::string good = read_bytes(fixture("tiny_zip.pt"));
    const std::string legacy = read_bytes(fixture("tiny_legacy.pt"));
    const std::string script = read_bytes(fixture("tiny_script.pt"));
    int refused = 0;
    // Every prefix length must fail cleanly (no crash), for all three layouts.
    for (const std::string* bytes : {&good, &legacy, &script}) {
      for (std::size_t keep = 0; keep < bytes->size(); keep += 37) {
        const std::string path = dir + "/cut.pt";
        std::ofstream(path, std::ios::binary) << bytes->substr(0, keep);
        try {
          io::read_tensor_file(path);
        } catch (const Error& e) {
          QVERIFY2(QString(e.what()).contains(QString::fromStdString(path)), e.what());
          ++refused;
        }
      }
    }
    QVERIFY(refused > 150);
    const std::string garbage = dir + "/garbage.pt";
    std::ofstream(garbage, std::ios::binary) << "this is not a checkpoint, just text\n";
    expect_refused(garbage, "unrecognised weight file");
    const std::string empty = dir + "/empty.pt";
    std::ofstream(empty, std::ios::binary).flush();
    expect_refused(empty, "empty");
    expect_refused(dir + "/does-not-exist.pt", "cannot open");
  }

  void refusesViewsOutsideTheirStorage() {
    // Storage of 12 floats; a 4x4 view would read past it.
    io::pickle::Pickle p;
    const io::pickle::ValueId storage = p.values.make(io::pickle::Kind::Storage);
    p.values[storage].dtype = torch::kFloat32;
    p.values[storage].numel = 12;
    p.values[storage].tensor = torch::zeros({12});
    p.root = p.values.make(io::pickle::Kind::Tensor);
    p.object().storage = storage;
    p.object().sizes = {4, 4};
    p.object().strides = {4, 1};
    QVERIFY_THROWS_EXCEPTION(Error, io::materialize_tensors(p, "x.pt"));
    p.object().sizes = {3, 4};
    io::materialize_tensors(p, "x.pt");
    QCOMPARE(p.object().tensor.numel(), 12);
  }

  void loadStateDictListsEveryProblem() {
    torch::nn::Sequential net(torch::nn::Linear(3, 2), torch::nn::Linear(2, 2));
    std::vector<io::NamedTensor> tensors = {
        {"0.weight", torch::ones({2, 3}, torch::kFloat16)},  // converted to float32
        {"0.bias", torch::ones({2})},
        {"1.weight", torch::ones({2, 5})},  // wrong shape
        {"extra.weight", torch::ones({1})},  // unexpected
        // 1.bias missing
    };
    try {
      io::load_state_dict(*net, tensors, "weights.pt");
      QFAIL("accepted mismatching weights");
    } catch (const Error& e) {
      const QString msg = e.what();
      QVERIFY2(msg.contains("weights.pt") && msg.contains("missing keys (1)") && msg.contains("1.bias") &&
                   msg.contains("unexpected keys (1)") && msg.contains("extra.weight") &&
                   msg.contains("shape mismatches (1)") && msg.contains("1.weight"),
               qPrintable(msg));
    }
    tensors[2].tensor = torch::full({2, 2}, 2.0);
    tensors.pop_back();
    tensors.push_back({"1.bias", torch::zeros({2})});
    io::load_state_dict(*net, tensors, "weights.pt");
    QCOMPARE(net->parameters()[0].scalar_type(), torch::kFloat32);
    QVERIFY(torch::equal(net->parameters()[0], torch::ones({2, 3})));
    QVERIFY(torch::equal(net->parameters()[2], torch::full({2, 2}, 2.0)));
    // Renaming drops or maps keys.
    io::LoadOptions rename;
    rename.rename = [](const std::string& k) -> std::optional<std::string> {
      if (k == "input_resolution") return std::nullopt;
      return k.substr(4);  // strip "net."
    };
    std::vector<io::NamedTensor> prefixed;
    for (const auto& t : tensors) prefixed.push_back({"net." + t.name, t.tensor});
    prefixed.push_back({"input_resolution", torch::tensor(24)});
    io::load_state_dict(*net, prefixed, "prefixed.pt", rename);
  }
};

QTEST_GUILESS_MAIN(TestCheckpoints)
#include "test_checkpoints.moc"
