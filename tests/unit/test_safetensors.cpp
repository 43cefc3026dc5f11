// safetensors: round trip of every dtype, and every kind of lying header refused with
// an error that names the file and the problem.
#include <QtTest/QtTest>
#include <torch/torch.h>

#include <fstream>

#include "bd/error.h"
#include "io/safetensors.h"
#include "io/tensor_file.h"
#include "test_support.h"

using namespace bd;

namespace {

std::string write_raw(const std::string& path, const std::string& header, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  const std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((n >> (8 * i)) & 0xff));
  out << header << data;
  return path;
}

}  // namespace

class TestSafetensors : public QObject {
  Q_OBJECT
 private slots:
  void roundTripsEveryDtype() {
    const std::string dir = test::scratch_dir("safetensors_roundtrip");
    std::vector<io::NamedTensor> tensors = {
        {"f32", torch::randn({2, 3})},
        {"f16", torch::randn({4}).to(torch::kFloat16)},
        {"bf16", torch::randn({3, 1}).to(torch::kBFloat16)},
        {"i64", torch::arange(5, torch::kInt64)},
        {"i32", torch::arange(6, torch::kInt32).reshape({2, 3})},
        {"u8", torch::arange(7, torch::kUInt8)},
        {"bool", torch::tensor({true, false, true})},
        {"scalar", torch::tensor(3.5)},
        {"empty", torch::zeros({0, 4})},
        {"noncontiguous", torch::randn({3, 4}).t()},
    };
    const std::string path = dir + "/all.safetensors";
    io::write_safetensors(path, tensors, {{"format", "pt"}});
    const io::TensorFile file = io::read_tensor_file(path);
    QCOMPARE(file.format, io::TensorFileFormat::Safetensors);
    QCOMPARE(file.tensors.size(), tensors.size());
    QCOMPARE(file.metadata.at("format"), std::string("pt"));
    for (const auto& t : tensors) {
      const torch::Tensor& read = file.at(t.name);
      QCOMPARE(read.scalar_type(), t.tensor.scalar_type());
      QVERIFY2(read.sizes() == t.tensor.sizes(), t.name.c_str());
      QVERIFY2(torch::equal(read, t.tensor), t.name.c_str());
    }
  }

  void rejectsBadFiles_data() {
    QTest::addColumn<QString>("header");
    QTest::addColumn<int>("dataBytes");
    QTest::addColumn<QString>("expected");
    QTest::newRow("unknown dtype") << R"({"a":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}})" << 4 << "unknown dtype";
    QTest::newRow("offset past end") << R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})" << 4 << "outside";
    QTest::newRow("size inconsistent") << R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})" << 8 << "need 12";
    QTest::newRow("overlap") << R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})" << 12 << "overlaps";
    QTest::newRow("not json") << "{not json at all" << 0 << "not valid JSON";
    QTest::newRow("not an object") << "[1,2,3]" << 0 << "not a JSON object";
    QTest::newRow("negative shape") << R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})" << 4 << "malformed shape";
    QTest::newRow("begin after end") << R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})" << 8 << "outside";
    QTest::newRow("missing fields") << R"({"a":{"dtype":"F32"}})" << 0 << "lacks dtype";
  }
  void rejectsBadFiles() {
    QFETCH(QString, header);
    QFETCH(int, dataBytes);
    QFETCH(QString, expected);
    const std::string path = write_raw(test::scratch_dir("safetensors_bad") + "/bad.safetensors",
                                       header.toStdString(), std::string(dataBytes, '\0'));
    try {
      io::read_safetensors(path);
      QFAIL("accepted a bad file");
    } catch (const Error& e) {
      QCOMPARE(e.kind(), ErrorKind::ModelFiles);
      const QString msg = QString::fromStdString(e.what());
      QVERIFY2(msg.contains(QString::fromStdString(path)), qPrintable(msg));
      QVERIFY2(msg.contains(expected), qPrintable(msg));
    }
  }

  void reportsAllProblemsAtOnce() {
    const std::string path = write_raw(
        test::scratch_dir("safetensors_many") + "/bad.safetensors",
        R"({"a":{"dtype":"X","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[9],"data_offsets":[0,4]}})",
        std::string(4, '\0'));
    try {
      io::read_safetensors(path);
      QFAIL("accepted a bad file");
    } catch (const Error& e) {
      const QString msg = e.what();
      QVERIFY2(msg.contains("2 problem(s)") && msg.contains("'a'") && msg.contains("'b'"), qPrintable(msg));
    }
  }

  void rejectsTruncatedAndLyingLength() {
    const std::string dir = test::scratch_dir("safetensors_trunc");
    const std::string good = dir + "/good.safetensors";
    io::write_safetensors(good, {{"w", torch::ones({16})}});
    std::ifstream in(good, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    for (std::size_t keep : {std::size_t{0}, std::size_t{5}, bytes.size() / 2, bytes.size() - 1}) {
      const std::string cut = dir + "/cut.safetensors";
      std::ofstream(cut, std::ios::binary) << bytes.substr(0, keep);
      QVERIFY_THROWS_EXCEPTION(Error, io::read_tensor_file(cut));
    }
    std::string lying = bytes;
    lying[0] = '\xff';
    lying[1] = '\xff';
    lying[5] = '\x01';
    const std::string lie = dir + "/lie.safetensors";
    std::ofstream(lie, std::ios::binary) << lying;
    QVERIFY_THROWS_EXCEPTION(Error, io::read_safetensors(lie));
  }

  void writeIsAtomic() {
    const std::string dir = test::scratch_dir("safetensors_atomic");
    const std::string path = dir + "/w.safetensors";
    io::write_safetensors(path, {{"w", torch::ones({2})}});
    // A failing write (duplicate names) leaves the old file and no temporary behind.
    QVERIFY_THROWS_EXCEPTION(Error, io::write_safetensors(path, {{"x", torch::ones({1})}, {"x", torch::ones({1})}}));
    QVERIFY(torch::equal(io::read_tensor_file(path).at("w"), torch::ones({2})));
    QCOMPARE(QDir(QString::fromStdString(dir)).entryList(QDir::Files).size(), 1);
  }
};

QTEST_GUILESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
