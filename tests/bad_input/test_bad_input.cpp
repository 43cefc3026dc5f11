// The bad-input table (issue 7): every row is an input a user or a download can hand
// us, and each must end in a clear bd::Error naming what is wrong, or in a normal
// result, never in a crash. The same files also drive the blendiff-cli rows in
// CMakeLists.txt: `test_bad_input --write-fixtures DIR` writes them for CTest.
#include <QtTest/QtTest>
#include <torch/torch.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bd/engine.h"
#include "bd/error.h"
#include "io/safetensors.h"
#include "test_pack.h"
#include "test_support.h"

using namespace bd;
namespace fs = std::filesystem;

namespace {

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::uint32_t crc32(const std::string& bytes) {
  std::uint32_t c = 0xffffffffu;
  for (unsigned char b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

std::string be32(std::uint32_t v) {
  return {char(v >> 24), char((v >> 16) & 0xff), char((v >> 8) & 0xff), char(v & 0xff)};
}

// A PNG whose header says width x height, with no pixel data: the loader must refuse it
// from the header, before anything allocates the pixels.
std::string png_header_only(std::uint32_t width, std::uint32_t height) {
  const std::string ihdr = "IHDR" + be32(width) + be32(height) + std::string("\x08\x02\x00\x00\x00", 5);
  const std::string iend = "IEND";
  return std::string("\x89PNG\r\n\x1a\n", 8) + be32(13) + ihdr + be32(crc32(ihdr)) + be32(0) + iend +
         be32(crc32(iend));
}

// A copy of the reference test pack whose manifest no longer pins sizes and hashes, so
// a damaged file reaches the readers instead of being caught by the size check.
fs::path copy_pack(const fs::path& good, const fs::path& dir, const std::string& name) {
  const fs::path out = dir / "packs" / name;
  fs::create_directories(out);
  for (const char* f : {"pack.json", "unet.safetensors", "clip.safetensors", "merges.txt"})
    fs::copy_file(good / f, out / f, fs::copy_options::overwrite_existing);
  nlohmann::json j = nlohmann::json::parse(read_bytes(out / "pack.json"));
  for (const char* role : {"unet", "clip", "tokenizer"}) {
    j[role].erase("sha256");
    j[role].erase("bytes");
  }
  j["name"] = name;
  std::ofstream(out / "pack.json") << j.dump(1);
  return out;
}

// Writes every bad input under DIR (and the good pack and scene they are made from).
void write_fixtures(const fs::path& dir) {
  fs::create_directories(dir);
  const fs::path good = test::make_reference_test_pack((dir / "packs" / "good").string());
  test::make_test_scene(dir.string());

  // Weights.
  {
    const fs::path p = copy_pack(good, dir, "truncated");
    const std::string unet = read_bytes(p / "unet.safetensors");
    write_bytes(p / "unet.safetensors", unet.substr(0, unet.size() / 2));
  }
  write_bytes(copy_pack(good, dir, "zero_bytes") / "unet.safetensors", "");
  {
    std::string garbage(4096, '\0');
    std::uint32_t x = 12345;
    for (char& c : garbage) c = static_cast<char>((x = x * 1664525u + 1013904223u) >> 24);
    write_bytes(copy_pack(good, dir, "garbage") / "unet.safetensors", garbage);
  }
  {
    // The UNet's own tensors with one of them flattened: same bytes, wrong shape.
    const fs::path p = copy_pack(good, dir, "wrong_shapes");
    io::TensorFile file = io::read_safetensors((p / "unet.safetensors").string());
    std::vector<io::NamedTensor> tensors;
    for (const auto& t : file.tensors) {
      torch::Tensor v = t.tensor.clone();
      if (t.name == "out.2.weight") v = v.reshape({-1});
      tensors.push_back({t.name, v});
    }
    file = {};
    io::write_safetensors((p / "unet.safetensors").string(), tensors);
  }
  {
    const fs::path p = copy_pack(good, dir, "os_system");
    fs::copy_file(test::source_path("tests/data/checkpoints/evil_os_system.pt"), p / "unet.safetensors",
                  fs::copy_options::overwrite_existing);
  }
  fs::remove(copy_pack(good, dir, "no_tokenizer") / "merges.txt");
  // Legacy-format checkpoints (magic, protocol 1001, system info, state dict, keys) whose
  // state dict is a list that contains itself, or lists nested 5000 deep: the unpickler
  // must refuse both rather than leak the cycle or overflow the stack freeing the chain.
  {
    const std::string head = std::string("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15) +
                             std::string("\x80\x02M\xe9\x03.", 6) + std::string("\x80\x02}.", 4);
    const std::string keys = std::string("\x80\x02].", 4);
    write_bytes(dir / "cyclic.pt", head + std::string("\x80\x02]q\x00h\x00" "a.", 9) + keys);
    write_bytes(dir / "deep.pt", head + "\x80\x02" + std::string(5000, ']') + std::string(4999, 'a') + "." + keys);
    fs::copy_file(dir / "cyclic.pt", copy_pack(good, dir, "cyclic") / "unet.safetensors",
                  fs::copy_options::overwrite_existing);
  }

  // Images and masks (the scene's image.png is 60x44).
  write_bytes(dir / "zero.png", "");
  write_bytes(dir / "not_an_image.png", "This is a text file with a .png name.\n");
  write_bytes(dir / "huge_20000.png", png_header_only(20000, 20000));
  write_bytes(dir / "truncated.png", read_bytes(dir / "image.png").substr(0, 60));
  save_image((dir / "full_mask.png").string(), test::rect_mask(60, 44, 0, 0, 60, 44));
  {
    Image img = load_image((dir / "image.png").string());
    Image deep = img;
    deep.depth = 16;
    deep.data.resize(img.data.size() * 2);
    for (std::size_t i = 0; i < img.data.size(); ++i) {
      const std::uint16_t v = static_cast<std::uint16_t>(img.data[i] * 257);
      std::memcpy(deep.data.data() + 2 * i, &v, 2);
    }
    save_image((dir / "image16.png").string(), deep);
  }
  fs::copy_file(test::source_path("tests/data/images/cmyk.jpg"), dir / "cmyk.jpg", fs::copy_options::overwrite_existing);
  const Image cmyk = load_image((dir / "cmyk.jpg").string());
  save_image((dir / "cmyk_mask.png").string(),
             test::rect_mask(cmyk.width, cmyk.height, cmyk.width / 4, cmyk.height / 4, cmyk.width * 3 / 4,
                             cmyk.height * 3 / 4));
}

std::string long_prompt() {
  std::string s;
  while (s.size() < 500) s += "a red circle next to a blue square ";
  return s.substr(0, 500);
}

}  // namespace

class TestBadInput : public QObject {
  Q_OBJECT
  fs::path dir_;
  std::unique_ptr<Engine> engine_;

  EditRequest request() const {
    EditRequest r;
    r.image = load_image((dir_ / "image.png").string());
    r.mask = load_image((dir_ / "mask.png").string());
    r.prompt = "red";
    r.params = engine_->pack().defaults;
    return r;
  }

 private slots:
  void initTestCase() {
    dir_ = test::scratch_dir("bad_input");
    write_fixtures(dir_);
    engine_ = Engine::load(load_model_pack((dir_ / "packs" / "good").string()), {"cpu", 2});
  }

  // Weight files and packs: Engine::load must name the file and the problem.
  void badPackIsAClearError_data() {
    QTest::addColumn<QString>("pack");
    QTest::addColumn<QString>("expected");  // regular expression over the message
    QTest::newRow("truncated weights") << "truncated" << "unet\\.safetensors.*(truncated|outside|past the end)";
    QTest::newRow("zero-byte weights") << "zero_bytes" << "unet\\.safetensors.*(empty|0 bytes)";
    QTest::newRow("garbage weights") << "garbage" << "unet\\.safetensors.*unrecognised weight file";
    QTest::newRow("wrong shapes") << "wrong_shapes" << "shape mismatch.*out\\.2\\.weight: file \\[1728\\]";
    QTest::newRow("pickle calling os.system") << "os_system" << "posix\\.system.*not allowed";
    QTest::newRow("missing tokenizer") << "no_tokenizer" << "tokenizer.*merges\\.txt.*missing";
    QTest::newRow("pickle that contains itself") << "cyclic" << "unet\\.safetensors.*cyclic structure";
  }
  void badPackIsAClearError() {
    QFETCH(QString, pack);
    QFETCH(QString, expected);
    try {
      Engine::load(load_model_pack((dir_ / "packs" / pack.toStdString()).string()), {"cpu", 1});
      QFAIL("the pack loaded");
    } catch (const Error& e) {
      QCOMPARE(e.kind(), ErrorKind::ModelFiles);
      const QRegularExpression re(expected, QRegularExpression::DotMatchesEverythingOption);
      QVERIFY2(re.match(e.what()).hasMatch(), e.what());
    }
  }

  // Image files: load_image must refuse with the file's name, or load them as RGB.
  void imageFiles_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("expected");  // "" = loads
    QTest::newRow("0-byte file") << "zero.png" << "zero\\.png: the file is empty \\(0 bytes\\)";
    QTest::newRow("non-image file") << "not_an_image.png" << "not_an_image\\.png: not an image file";
    QTest::newRow("truncated PNG") << "truncated.png" << "truncated\\.png: cannot decode the PNG data";
    QTest::newRow("20000x20000 image") << "huge_20000.png" << "huge_20000\\.png: image is 20000x20000, more than the limit";
    QTest::newRow("missing file") << "no_such.png" << "no_such\\.png: no such file";
    QTest::newRow("16-bit PNG") << "image16.png" << "";
    QTest::newRow("CMYK JPEG") << "cmyk.jpg" << "";
  }
  void imageFiles() {
    QFETCH(QString, file);
    QFETCH(QString, expected);
    try {
      const Image img = load_image((dir_ / file.toStdString()).string());
      QVERIFY2(expected.isEmpty(), "the file loaded");
      QVERIFY(img.channels == 3 || img.channels == 4 || img.channels == 1);
    } catch (const Error& e) {
      QVERIFY2(!expected.isEmpty(), e.what());
      QCOMPARE(e.kind(), ErrorKind::InvalidInput);
      QVERIFY2(QRegularExpression(expected).match(e.what()).hasMatch(), e.what());
    }
  }

  // Edits: images, masks, prompts and parameters through Engine::edit.
  void edits_data() {
    QTest::addColumn<QString>("row");
    QTest::addColumn<QString>("expected");  // "" = Done with candidates
    QTest::newRow("mask of the wrong size") << "small_mask" << "size";
    QTest::newRow("empty mask") << "empty_mask" << "mask is empty";
    QTest::newRow("full mask") << "full_mask" << "";
    QTest::newRow("16-bit image") << "image16" << "";
    QTest::newRow("CMYK image") << "cmyk" << "";
    QTest::newRow("empty prompt") << "prompt_empty" << "";
    QTest::newRow("500-character prompt") << "prompt_500" << "";
    QTest::newRow("emoji prompt") << "prompt_emoji" << "";
    QTest::newRow("negative batch size") << "batch_negative" << "batch_size must be in \\[1, 64\\], got -1";
    QTest::newRow("negative skip") << "skip_negative" << "skip_timesteps must be in \\[0, 999\\], got -3";
    QTest::newRow("negative feather") << "feather_negative" << "feather_px must be in \\[0, 512\\], got -5";
    QTest::newRow("negative padding") << "padding_negative" << "padding must be in \\[0, 4\\], got -0.5";
    QTest::newRow("NaN CLIP weight") << "clip_nan" << "clip_lambda must be in .*got nan";
    QTest::newRow("absurd iterations") << "iterations_absurd" << "iterations must be in \\[1, 1000\\], got 1000000";
    QTest::newRow("absurd grow") << "grow_absurd" << "grow_px must be in \\[-512, 512\\], got 100000";
    QTest::newRow("absurd respacing") << "respacing_absurd" << "respacing '1000000'";
    QTest::newRow("zero respacing") << "respacing_zero" << "respacing";
    QTest::newRow("negative respacing") << "respacing_negative" << "respacing";
    QTest::newRow("nonsense respacing") << "respacing_text" << "respacing 'banana'";
    QTest::newRow("empty image") << "image_empty" << "empty";
  }
  void edits() {
    QFETCH(QString, row);
    QFETCH(QString, expected);
    EditRequest r = request();
    const std::string w = row.toStdString();
    if (w == "small_mask") r.mask = load_image((dir_ / "small_mask.png").string());
    if (w == "empty_mask") r.mask = load_image((dir_ / "empty_mask.png").string());
    if (w == "full_mask") r.mask = load_image((dir_ / "full_mask.png").string());
    if (w == "image16") r.image = load_image((dir_ / "image16.png").string());
    if (w == "cmyk") {
      r.image = load_image((dir_ / "cmyk.jpg").string());
      r.mask = load_image((dir_ / "cmyk_mask.png").string());
    }
    if (w == "prompt_empty") r.prompt = "";
    if (w == "prompt_500") r.prompt = long_prompt();
    if (w == "prompt_emoji") r.prompt = "a \xF0\x9F\x90\xB1 on a \xF0\x9F\x9A\x97 \xE2\x9D\xA4\xEF\xB8\x8F";
    if (w == "batch_negative") r.params.batch_size = -1;
    if (w == "skip_negative") r.params.skip_timesteps = -3;
    if (w == "feather_negative") r.params.feather_px = -5;
    if (w == "padding_negative") r.params.padding = -0.5;
    if (w == "clip_nan") r.params.clip_lambda = std::nan("");
    if (w == "iterations_absurd") r.params.iterations = 1000000;
    if (w == "grow_absurd") r.params.grow_px = 100000;
    if (w == "respacing_absurd") r.params.timestep_respacing = "1000000";
    if (w == "respacing_zero") r.params.timestep_respacing = "0";
    if (w == "respacing_negative") r.params.timestep_respacing = "-5";
    if (w == "respacing_text") r.params.timestep_respacing = "banana";
    if (w == "image_empty") r.image = Image{};
    try {
      const EditResult result = engine_->edit(r);
      QVERIFY2(expected.isEmpty(), "the edit ran");
      QCOMPARE(result.status, EditStatus::Done);
      QCOMPARE(int(result.candidates.size()), r.params.batch_size * r.params.iterations);
      QCOMPARE(result.candidates[0].image.width, r.image.width);
      QCOMPARE(result.candidates[0].image.depth, r.image.depth);
      if (w == "prompt_500") QVERIFY(!result.warnings.empty());
    } catch (const Error& e) {
      QVERIFY2(!expected.isEmpty(), e.what());
      QCOMPARE(e.kind(), ErrorKind::InvalidInput);
      QVERIFY2(QRegularExpression(expected).match(e.what()).hasMatch(), e.what());
    }
  }

  // Cancel is an outcome, not an error: at the first step nothing is produced, at the
  // last step the run stops cleanly (the steps already done are not reported as a result).
  void cancel_data() {
    QTest::addColumn<int>("cancelAtStep");
    QTest::newRow("cancel at the first step") << 1;
    QTest::newRow("cancel at the last step") << 6;
  }
  void cancel() {
    QFETCH(int, cancelAtStep);
    EditRequest r = request();
    std::atomic<bool> cancel{false};
    int steps = 0, total = 0;
    r.callbacks.cancel = &cancel;
    r.callbacks.on_step = [&](const StepInfo& s) {
      total = s.total;
      if (++steps == cancelAtStep) cancel = true;
    };
    const EditResult result = engine_->edit(r);
    QCOMPARE(total, 6);
    if (cancelAtStep < total) {
      QCOMPARE(result.status, EditStatus::Cancelled);
      QCOMPARE(steps, cancelAtStep);
      QVERIFY(result.candidates.empty());
    } else {
      // Cancelled during the last step: nothing is left to stop, the batch is complete.
      QVERIFY(result.status == EditStatus::Done || result.status == EditStatus::Cancelled);
      QCOMPARE(steps, total);
    }
    // The engine is still usable afterwards.
    EditRequest again = request();
    QCOMPARE(engine_->edit(again).status, EditStatus::Done);
  }
};

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--write-fixtures") {
    try {
      write_fixtures(argv[2]);
      return 0;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "test_bad_input: %s\n", e.what());
      return 1;
    }
  }
  QCoreApplication app(argc, argv);
  TestBadInput test;
  return QTest::qExec(&test, argc, argv);
}

#include "test_bad_input.moc"
