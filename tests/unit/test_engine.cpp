// bd::Engine end to end on a tiny pack made from the reference vectors' random weights
// (UNet and CLIP of unet_dev / clip_dev, a small merges file): ranking order, untouched
// background, reproducible seeds, callbacks, cancel, and clear errors for bad input.
#include <QtTest/QtTest>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "bd/engine.h"
#include "bd/error.h"
#include "bd/runtime.h"
#include "core/sha256.h"
#include "test_images.h"
#include "test_pack.h"
#include "test_support.h"

using namespace bd;
namespace fs = std::filesystem;

namespace {

// The largest difference of one sample between two images of the same layout.
int max_sample_diff(const Image& a, const Image& b) {
  int max_diff = 0;
  for (std::size_t i = 0; i < a.data.size(); ++i)
    max_diff = std::max(max_diff, std::abs(int(a.data[i]) - int(b.data[i])));
  return max_diff;
}

// Writes `manifest` as DIR/pack.json and loads that pack: the error, "" when it loads.
QString pack_load_error(const std::string& dir, const nlohmann::json& manifest) {
  std::ofstream(dir + "/pack.json") << manifest.dump();
  try {
    load_model_pack(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

class TestEngine : public QObject {
  Q_OBJECT
  std::unique_ptr<Engine> engine_;
  ModelPack pack_;

  // An edit of the pattern image inside one rectangle, with the pack's defaults.
  EditRequest request(int w, int h, int x0, int y0, int x1, int y1,
                      const std::string& prompt) const {
    EditRequest r;
    r.image = test::pattern_image(w, h, 3);
    r.mask = test::rect_mask(w, h, x0, y0, x1, y1);
    r.prompt = prompt;
    r.params = pack_.defaults;
    return r;
  }

 private slots:
  void initTestCase() {
    pack_ = load_model_pack(test::make_reference_test_pack(test::scratch_dir("engine_pack")));
    QCOMPARE(pack_.defaults.clip_lambda, 100.0);
    for (const auto& c : verify_model_pack(pack_)) QVERIFY2(c.ok, c.problem.c_str());
    engine_ = Engine::load(pack_, {"cpu", 2});
  }

  void editsOnlyTheMaskedRegion() {
    EditRequest r = request(60, 44, 20, 10, 34, 26, "red blue");
    r.params.preview_every = 2;
    int steps = 0, previews = 0, candidates = 0;
    r.callbacks.on_step = [&](const StepInfo& s) {
      ++steps;
      QCOMPARE(s.step, steps);
      QVERIFY(s.eta_s >= 0);
    };
    r.callbacks.on_preview = [&](const Preview& p) {
      ++previews;
      // The edit's box only: inside the image and holding the whole mask (20..34 x 10..26).
      QCOMPARE(p.patch.channels, 3);
      QVERIFY(p.x >= 0 && p.y >= 0 && p.x + p.patch.width <= 60 && p.y + p.patch.height <= 44);
      QVERIFY(p.x <= 20 && p.y <= 10 && p.x + p.patch.width >= 34 && p.y + p.patch.height >= 26);
    };
    std::map<std::uint64_t, Image> streamed;  // by seed
    r.callbacks.on_candidate = [&](const Candidate& c) {
      ++candidates;
      streamed[c.seed] = c.image;
    };
    const EditResult result = engine_->edit(r);
    QCOMPARE(result.status, EditStatus::Done);
    QCOMPARE(steps, 10 - 4);
    QVERIFY(previews >= 2);
    QCOMPARE(candidates, 2);
    QCOMPARE(result.candidates.size(), std::size_t{2});
    QVERIFY(result.candidates[0].score <= result.candidates[1].score);
    // Streamed candidates are handed over once: the result keeps their ranking, no pixels.
    for (const Candidate& c : result.candidates) QVERIFY(c.image.data.empty());
    // Outside mask + feather band: bit-identical. Inside: changed.
    const Image& out = streamed.at(result.candidates[0].seed);
    QCOMPARE(out.width, 60);
    QCOMPARE(out.channels, 3);
    int changed_inside = 0;
    for (int y = 0; y < 44; ++y)
      for (int x = 0; x < 60; ++x)
        for (int c = 0; c < 3; ++c) {
          const std::size_t i = (static_cast<std::size_t>(y) * 60 + x) * 3 + c;
          const bool far = x < 20 - 3 || x >= 34 + 3 || y < 10 - 3 || y >= 26 + 3;
          if (far) QCOMPARE(out.data[i], r.image.data[i]);
          if (x >= 22 && x < 32 && y >= 12 && y < 24 && out.data[i] != r.image.data[i]) ++changed_inside;
        }
    QVERIFY(changed_inside > 100);
  }

  void seedsReproduceCandidates() {
    EditRequest r = request(40, 40, 10, 10, 30, 30, "blue");
    r.params.seed = 7;
    const EditResult a = engine_->edit(r);
    const EditResult b = engine_->edit(r);
    QCOMPARE(a.candidates[0].seed, b.candidates[0].seed);
    QVERIFY(a.candidates[0].image.data == b.candidates[0].image.data);
    // Re-running one candidate's seed alone reproduces it (per-candidate noise streams).
    const Candidate& second = a.candidates[0].seed == 8 ? a.candidates[0] : a.candidates[1];
    QCOMPARE(second.seed, std::uint64_t{8});
    r.params.seed = 8;
    r.params.batch_size = 1;
    const EditResult alone = engine_->edit(r);
    QCOMPARE(alone.candidates[0].seed, std::uint64_t{8});
    const int max_diff = max_sample_diff(second.image, alone.candidates[0].image);
    QVERIFY2(max_diff <= 1, qPrintable(QString("max diff %1").arg(max_diff)));
  }

  // On CPU the batch runs as one lane of candidates per thread: the candidates must be
  // the ones the whole batch gives at once (up to rounding), each under its own seed.
  void lanesGiveTheCandidatesOfOneBatch() {
    EditRequest r = request(40, 40, 8, 12, 28, 30, "red");
    r.params.seed = 21;
    r.params.batch_size = 3;  // two uneven lanes: 1 + 2
    const auto single_threaded = Engine::load(pack_, {"cpu", 1});
    const EditResult one_lane = single_threaded->edit(r);
    const EditResult two_lanes = engine_->edit(r);
    QCOMPARE(one_lane.candidates.size(), std::size_t{3});
    QCOMPARE(two_lanes.candidates.size(), std::size_t{3});
    for (const Candidate& a : one_lane.candidates) {
      const auto b = std::find_if(two_lanes.candidates.begin(), two_lanes.candidates.end(),
                                  [&](const Candidate& c) { return c.seed == a.seed; });
      QVERIFY(b != two_lanes.candidates.end());
      QCOMPARE(b->index, a.index);
      QVERIFY(std::abs(b->score - a.score) < 1e-4);
      const int max_diff = max_sample_diff(a.image, b->image);
      QVERIFY2(max_diff <= 1, qPrintable(QString("seed %1: max diff %2").arg(a.seed).arg(max_diff)));
    }
    // And different seeds give different candidates (the comparison above can fail).
    QVERIFY(one_lane.candidates[0].image.data != one_lane.candidates[1].image.data);
  }

  // LibTorch's thread count is process-wide: another engine on another thread (the
  // benchmark's --jobs, a second window) changes it. An engine's lanes, so its
  // candidates to the last bit, must not depend on which engine set it last.
  void anEngineKeepsItsThreadsWhateverTheProcessLastSet() {
    EditRequest r = request(40, 40, 8, 12, 28, 30, "red");
    r.params.seed = 5;
    r.params.batch_size = 2;
    const EditResult before = engine_->edit(r);
    set_threads(1);
    const EditResult after = engine_->edit(r);
    set_threads(2);
    QCOMPARE(after.candidates.size(), before.candidates.size());
    for (std::size_t k = 0; k < before.candidates.size(); ++k) {
      QCOMPARE(after.candidates[k].seed, before.candidates[k].seed);
      QCOMPARE(after.candidates[k].score, before.candidates[k].score);
      QVERIFY(after.candidates[k].image.data == before.candidates[k].image.data);
    }
  }

  void cancelStopsWithinOneStep_data() {
    QTest::addColumn<int>("cancelAfter");
    QTest::newRow("before the first step") << 0;
    QTest::newRow("after the first step") << 1;
    QTest::newRow("before the last step") << 5;
  }
  void cancelStopsWithinOneStep() {
    QFETCH(int, cancelAfter);
    std::atomic<bool> cancel{cancelAfter == 0};
    EditRequest r = request(32, 32, 8, 8, 24, 24, "red");
    int steps = 0;
    r.callbacks.cancel = &cancel;
    r.callbacks.on_step = [&](const StepInfo&) {
      if (++steps == cancelAfter) cancel = true;
    };
    const EditResult result = engine_->edit(r);
    QCOMPARE(result.status, EditStatus::Cancelled);
    QCOMPARE(steps, cancelAfter);
    QVERIFY(result.candidates.empty());
  }

  void badInputIsAClearError_data() {
    QTest::addColumn<int>("which");
    QTest::addColumn<QString>("expected");
    QTest::newRow("empty mask") << 0 << "mask is empty";
    QTest::newRow("mask of another size") << 1 << "size";
    QTest::newRow("batch size 0") << 2 << "batch_size must be in [1, 64], got 0";
    QTest::newRow("skip beyond the schedule") << 3 << "skip_timesteps";
    QTest::newRow("bad respacing") << 4 << "respacing";
  }
  void badInputIsAClearError() {
    QFETCH(int, which);
    QFETCH(QString, expected);
    EditRequest r = request(32, 32, 8, 8, 24, 24, "red");
    if (which == 0) r.mask = test::rect_mask(32, 32, 0, 0, 0, 0);
    if (which == 1) r.mask = test::rect_mask(16, 16, 2, 2, 8, 8);
    if (which == 2) r.params.batch_size = 0;
    if (which == 3) r.params.skip_timesteps = 10;
    if (which == 4) r.params.timestep_respacing = "banana";
    try {
      engine_->edit(r);
      QFAIL("bad input accepted");
    } catch (const Error& e) {
      QCOMPARE(e.kind(), ErrorKind::InvalidInput);
      QVERIFY2(QString(e.what()).contains(expected, Qt::CaseInsensitive), e.what());
    }
  }

  void missingPackFilesAreNamed() {
    const std::string dir = test::scratch_dir("engine_broken_pack");
    fs::copy(pack_.dir + "/pack.json", dir + "/pack.json");
    fs::copy(pack_.dir + "/merges.txt", dir + "/merges.txt");
    const ModelPack broken = load_model_pack(dir);
    try {
      Engine::load(broken, {"cpu", 1});
      QFAIL("loaded a pack without weights");
    } catch (const Error& e) {
      const QString msg = e.what();
      QVERIFY2(msg.contains("unet") && msg.contains("clip") && msg.contains("missing"), e.what());
    }
    QVERIFY_THROWS_EXCEPTION(Error, load_model_pack(dir + "/nowhere"));
  }

  // Fields of the wrong JSON type are named, all at once (the fuzzer found a "name" object
  // escaping as nlohmann's type_error, which ended the program).
  void manifestFieldsOfTheWrongTypeAreNamed() {
    const std::string dir = test::scratch_dir("engine_wrong_types_pack");
    nlohmann::json j = nlohmann::json::parse(std::ifstream(pack_.dir + "/pack.json"));
    j["name"] = nlohmann::json::object();
    j["format"] = 1;
    j["description"] = nlohmann::json::array();
    j["tokenizer"]["context_length"] = "long";
    const QString msg = pack_load_error(dir, j);
    QVERIFY2(!msg.isEmpty(), "accepted a manifest with fields of the wrong type");
    for (const char* expected : {"pack.json: name: expected a string, got {}",
                                 "pack.json: format: expected a string, got 1",
                                 "pack.json: description: expected a string, got []",
                                 "pack.json: tokenizer.context_length: expected an integer from "
                                 "2 to 4096, got \"long\""})
      QVERIFY2(msg.contains(expected), qPrintable(msg));
  }

  // Defaults that do not fit their parameter are named, never cast: the fuzzer found a
  // 200-digit "seed" (a float to nlohmann) whose cast to uint64 is undefined behaviour.
  // The editor's "speed" figure is checked the same way.
  void manifestDefaultsOutOfRangeAreNamed() {
    const std::string dir = test::scratch_dir("engine_out_of_range_pack");
    nlohmann::json j = nlohmann::json::parse(std::ifstream(pack_.dir + "/pack.json"));
    j["defaults"]["seed"] = 1e300;
    j["defaults"]["batch_size"] = 10000000000LL;
    j["defaults"]["iterations"] = -1;
    j["defaults"]["ddim"] = "yes";
    j["defaults"]["clip_lamda"] = 100;
    j["speed"] = {{"cpu_seconds_per_step", -3}, {"cpu_threads", 1.5}};
    const QString msg = pack_load_error(dir, j);
    QVERIFY2(!msg.isEmpty(), "accepted defaults that do not fit");
    for (const char* expected :
         {"pack.json: defaults.seed: expected an integer, got 1e+300",
          "pack.json: defaults.batch_size: batch_size must be in [1, 64], got 10000000000",
          "pack.json: defaults.iterations: iterations must be in [1, 1000], got -1",
          "pack.json: defaults.ddim: expected true or false, got \"yes\"",
          "pack.json: defaults.clip_lamda: not an edit parameter",
          "pack.json: speed.cpu_seconds_per_step: expected a number of seconds (above 0, at most "
          "1e6), got -3",
          "pack.json: speed.cpu_threads: expected an integer from 1 to 4096, got 1.5"})
      QVERIFY2(msg.contains(expected), qPrintable(msg));
    // Alone, too.
    j = nlohmann::json::parse(std::ifstream(pack_.dir + "/pack.json"));
    j["defaults"]["iterations"] = -1;
    std::ofstream(dir + "/pack.json") << j.dump();
    QVERIFY_THROWS_EXCEPTION(Error, load_model_pack(dir));
  }

  // The local baseline's LPIPS term: a clear warning without LPIPS weights; with them
  // (the narrow golden VGG of test_lpips, declared as two .pth files) it changes the
  // guidance, and lpips_lambda 0 gives exactly the pack-without-LPIPS result.
  void localBaselineLpipsTerm() {
    EditRequest r = request(40, 40, 10, 10, 30, 30, "red");
    r.params.local_mode = true;
    r.params.batch_size = 1;
    r.params.lpips_lambda = 1000;
    const EditResult plain = engine_->edit(r);
    QCOMPARE(plain.warnings.size(), std::size_t{1});
    QVERIFY2(plain.warnings[0].find("no LPIPS weights") != std::string::npos, plain.warnings[0].c_str());

    const std::string dir = test::scratch_dir("engine_lpips_pack");
    for (const char* f : {"unet.safetensors", "clip.safetensors", "merges.txt"}) fs::copy(pack_.dir + "/" + f, dir + "/" + f);
    nlohmann::json manifest = nlohmann::json::parse(std::ifstream(pack_.dir + "/pack.json"));
    manifest["lpips"] = {{"files", {{{"file", test::source_path("tests/data/reference/lpips_dev_vgg.pth")}},
                                    {{"file", test::source_path("tests/data/reference/lpips_dev_lin.pth")}}}}};
    std::ofstream(dir + "/pack.json") << manifest.dump(1);
    const ModelPack with_pack = load_model_pack(dir);
    QCOMPARE(with_pack.lpips.size(), std::size_t{2});
    for (const auto& c : verify_model_pack(with_pack)) QVERIFY2(c.ok, c.problem.c_str());
    const auto with_lpips = Engine::load(with_pack, {"cpu", 2});
    const EditResult guided = with_lpips->edit(r);
    QVERIFY(guided.warnings.empty());
    QVERIFY(guided.candidates[0].image.data != plain.candidates[0].image.data);
    r.params.lpips_lambda = 0;
    const EditResult off = with_lpips->edit(r);
    QVERIFY(off.candidates[0].image.data == engine_->edit(r).candidates[0].image.data);

    // A declared but absent LPIPS file makes the pack incomplete, by name.
    manifest["lpips"] = {{"file", "lpips_vgg.safetensors"}};
    std::ofstream(dir + "/pack.json") << manifest.dump(1);
    try {
      Engine::load(load_model_pack(dir), {"cpu", 1});
      QFAIL("loaded a pack without its declared LPIPS file");
    } catch (const Error& e) {
      QVERIFY2(QString(e.what()).contains("lpips_vgg.safetensors"), e.what());
    }
    manifest["lpips"] = {{"files", 3}};
    std::ofstream(dir + "/pack.json") << manifest.dump(1);
    QVERIFY_THROWS_EXCEPTION(Error, load_model_pack(dir));
  }

  void sha256KnownVectors() {
    QCOMPARE(core::sha256_hex("", 0), std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    QCOMPARE(core::sha256_hex("abc", 3), std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  }
};

QTEST_GUILESS_MAIN(TestEngine)
#include "test_engine.moc"
