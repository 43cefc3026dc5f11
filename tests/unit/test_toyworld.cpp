// ToyWorld: scenes and captions deterministic by seed, the oracle reads rendered objects,
// BPE merges learned from captions round-trip through ClipTokenizer, SHA-256 vectors, the
// training loss terms, and a 3-step training run that writes a loadable pack and resumes.
#include <torch/torch.h>
#include <QtTest/QtTest>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/sha256.h"
#include "nn/clip.h"
#include "nn/unet.h"
#include "pack/network_config_json.h"
#include "test_images.h"
#include "test_support.h"
#include "text/bpe_learner.h"
#include "text/clip_tokenizer.h"
#include "text/token_tensor.h"
#include "toyworld/clip_trainer.h"
#include "toyworld/diffusion_loss.h"
#include "toyworld/oracle.h"
#include "toyworld/samples.h"
#include "toyworld/scene.h"
#include "toyworld/trainer.h"

using namespace bd;
using namespace bd::toyworld;

namespace {

Image box_mask(int size, const Box& b, int margin) {
  return test::rect_mask(size, size, std::max(0, b.x - margin), std::max(0, b.y - margin),
                         std::min(size, b.x + b.w + margin), std::min(size, b.y + b.h + margin));
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

}  // namespace

class TestToyWorld : public QObject {
  Q_OBJECT
 private slots:
  void scenesAreDeterministicBySeed() {
    for (std::uint64_t seed : {0ull, 1ull, 77ull, 123456789ull}) {
      const Scene a = generate_scene(seed), b = generate_scene(seed);
      QCOMPARE(a.image.width, kImageSize);
      QCOMPARE(a.image.channels, 3);
      QVERIFY(a.image.data == b.image.data);
      QCOMPARE(a.caption, b.caption);
      QCOMPARE(a.objects.size(), b.objects.size());
    }
    QVERIFY(generate_scene(1).image.data != generate_scene(2).image.data);
    // Every background kind and object count occurs.
    std::map<int, int> backgrounds, counts;
    for (std::uint64_t seed = 0; seed < 300; ++seed) {
      const Scene s = generate_scene(seed);
      ++backgrounds[static_cast<int>(s.background)];
      ++counts[static_cast<int>(s.objects.size())];
    }
    QCOMPARE(static_cast<int>(backgrounds.size()), kNumBackgrounds);
    QCOMPARE(static_cast<int>(counts.size()), 4);
    QVERIFY(training_seed(1, 2, 3, 4) >= kTrainingSeedBit);
  }

  void captionsNameEveryObject() {
    QCOMPARE(object_phrase(Colour::Blue, Shape::Star, Size::Small),
             std::string("a small blue star"));
    QCOMPARE(object_phrase(Colour::Red, Shape::Circle), std::string("a red circle"));
    QCOMPARE(object_phrase(Colour::Orange, Shape::Ring), std::string("an orange ring"));
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
      const Scene s = generate_scene(seed);
      QVERIFY2(s.caption.find("background") != std::string::npos, s.caption.c_str());
      for (const auto& o : s.objects) {
        const std::string phrase = std::string(name(o.colour)) + " " + name(o.shape);
        QVERIFY2(s.caption.find(phrase) != std::string::npos, s.caption.c_str());
        QVERIFY(o.colour != s.background_colour);
      }
      if (s.objects.size() == 2)
        QVERIFY2(s.caption.find(" and ") != std::string::npos, s.caption.c_str());
      if (s.objects.empty()) QVERIFY2(s.caption.rfind("a", 0) == 0, s.caption.c_str());
    }
  }

  void editCasesAskForSomethingNew() {
    int empty = 0;
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
      const EditCase e = generate_edit_case(seed);
      QCOMPARE(e.prompt, object_phrase(e.colour, e.shape, e.size));
      QVERIFY(e.mask_box.w > 0 && e.mask_box.h > 0);
      QVERIFY(e.colour != e.scene.background_colour);
      if (e.object_index < 0) {
        ++empty;
        for (const auto& o : e.scene.objects)
          QVERIFY(o.bbox.x >= e.mask_box.x + e.mask_box.w || e.mask_box.x >= o.bbox.x + o.bbox.w ||
                  o.bbox.y >= e.mask_box.y + e.mask_box.h || e.mask_box.y >= o.bbox.y + o.bbox.h);
      } else {
        const SceneObject& o = e.scene.objects[e.object_index];
        QVERIFY(e.colour != o.colour || e.shape != o.shape);
        QVERIFY(e.mask_box.x <= o.bbox.x && e.mask_box.y <= o.bbox.y);
      }
      QCOMPARE(generate_edit_case(seed).prompt, e.prompt);
    }
    QVERIFY(empty > 20 && empty < 120);
  }

  void oracleReadsRenderedObjects() {
    int objects = 0, colour_right = 0, shape_right = 0;
    std::map<std::string, int> confusions;
    for (std::uint64_t seed = 0; seed < 400; ++seed) {
      const Scene s = generate_scene(seed);
      for (const auto& o : s.objects) {
        const OracleVerdict v = judge(s.image, box_mask(s.size, o.bbox, 2), o.colour, o.shape);
        ++objects;
        colour_right += v.colour_ok;
        shape_right += v.shape_ok;
        if (!v.shape_ok)
          ++confusions[std::string(name(o.size)) + " " + name(o.colour) + " " + name(o.shape) +
                       " read as " + v.reading.describe()];
      }
    }
    for (const auto& [what, n] : confusions) qDebug("%d× %s", n, what.c_str());
    const double colour_acc = double(colour_right) / objects,
                 shape_acc = double(shape_right) / objects;
    qDebug("oracle on %d rendered objects: colour %.3f, shape %.3f", objects, colour_acc,
           shape_acc);
    QVERIFY(colour_acc >= 0.99);
    QVERIFY(shape_acc >= 0.97);
  }

  void oracleSeesNothingInEmptyAreas() {
    int empty = 0, found = 0;
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
      EditCaseOptions eo;
      eo.empty_area_probability = 1.0;
      const EditCase e = generate_edit_case(seed, eo);
      if (e.object_index >= 0) continue;
      ++empty;
      found += read_region(e.scene.image, e.mask).found;
    }
    qDebug("empty areas read as an object: %d of %d", found, empty);
    QVERIFY(found <= empty / 50);
  }

  void sampleScenesAreWrittenWithMaskAndPrompt() {
    const std::string dir = test::scratch_dir("toyworld_samples");
    SampleOptions so;
    so.count = 2;
    so.size = 64;
    const auto files = write_sample_scenes(dir, so);
    QCOMPARE(files.size(), std::size_t{2});
    for (const auto& f : files) {
      std::ifstream in(f);
      const auto j = nlohmann::json::parse(in);
      const std::string prompt = j.at("prompt");
      QVERIFY(prompt.rfind("a ", 0) == 0 || prompt.rfind("an ", 0) == 0);
      const Image image = load_image(dir + "/" + j.at("image").get<std::string>());
      const Image mask = load_image(dir + "/" + j.at("mask").get<std::string>());
      QCOMPARE(image.width, 64);
      QCOMPARE(mask.width, 64);
      QVERIFY(std::any_of(mask.data.begin(), mask.data.end(), [](std::uint8_t v) { return v != 0; }));
      QVERIFY(std::any_of(mask.data.begin(), mask.data.end(), [](std::uint8_t v) { return v == 0; }));
    }
  }

  void bpeMergesRoundTripThroughClipTokenizer() {
    const auto corpus = caption_corpus(3, 300);
    const auto merges = text::learn_bpe(corpus);
    QVERIFY(!merges.empty());
    QCOMPARE(text::learn_bpe(corpus), merges);  // deterministic
    const std::string path = test::scratch_dir("toyworld_bpe") + "/merges.txt";
    text::write_merges_file(path, merges, "test");
    const auto tok = text::ClipTokenizer::from_file(path);
    QCOMPARE(tok.merge_count(), static_cast<int64_t>(merges.size()));
    QCOMPARE(tok.vocab_size(), 512 + static_cast<int64_t>(merges.size()) + 2);
    for (const std::string text : {"a small blue star and a yellow square on a green background",
                                   "a purple ring", "a red and blue checkered background"}) {
      const auto ids = tok.encode(text);
      // Every corpus word became one token.
      QCOMPARE(ids.size(), static_cast<std::size_t>(std::count(text.begin(), text.end(), ' ') + 1));
      QCOMPARE(tok.decode(ids), text + " ");
    }
    const auto batch = tok.tokenize({"a large white triangle"}, 32);
    QCOMPARE(batch.lengths[0], int64_t{6});
    QCOMPARE(batch.ids[5], tok.eot());
  }

  void sha256MatchesKnownVectors() {
    QCOMPARE(core::sha256_hex("", 0),
             std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    QCOMPARE(core::sha256_hex("abc", 3),
             std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    QCOMPARE(core::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56),
             std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    const std::string million(1000000, 'a');
    QCOMPARE(core::sha256_hex(million.data(), million.size()),
             std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    core::Sha256 streamed;  // odd chunk sizes cross the 64-byte blocks every way
    for (std::size_t i = 0, n = 1; i < million.size(); i += n, n = n % 97 + 1)
      streamed.update(million.data() + i, std::min(n, million.size() - i));
    QCOMPARE(streamed.hex_digest(), core::sha256_hex(million.data(), million.size()));
    const std::string path = test::scratch_dir("toyworld_sha") + "/abc.txt";
    std::ofstream(path) << "abc";
    QCOMPARE(core::sha256_file(path), core::sha256_hex("abc", 3));
  }

  void lossTermsBehave() {
    const auto m = torch::randn({2, 3, 4, 4}), lv = torch::randn({2, 3, 4, 4});
    QVERIFY(normal_kl(m, lv, m, lv).abs().max().item<double>() < 1e-6);
    QVERIFY(normal_kl(m, lv, m + 1, lv).min().item<double>() > 0);
    // The discretised likelihood is a distribution over the 256 levels.
    const auto levels = torch::linspace(-1, 1, 256);
    const auto p = discretized_gaussian_log_likelihood(levels, torch::full({256}, 0.1),
                                                       torch::full({256}, std::log(0.2)))
                       .exp();
    QVERIFY(std::abs(p.sum().item<double>() - 1.0) < 1e-3);
  }

  void clipBatchesGiveEveryImageATrueText() {
    ClipTrainConfig c;
    c.model = tiny_architecture().clip;
    c.batch = 64;
    for (int64_t step = 0; step < 30; ++step) {
      const ClipBatch b = make_clip_batch(c, 1, step);
      QCOMPARE(b.images.size(0), int64_t{64});
      // A row without a true text made the contrastive loss NaN (empty scene vs empty region).
      QVERIFY(b.targets.sum(1).min().item<float>() >= 1.f);
    }
  }

  void trainingWritesALoadablePackAndResumes() {
    const std::string root = test::scratch_dir("toyworld_train");
    TrainOptions o;
    o.out_dir = root + "/pack";
    o.work_dir = root + "/work";
    o.tiny = true;
    o.unet_steps = 3;
    o.clip_steps = 3;
    o.unet_batch = 2;
    o.clip_batch = 8;
    o.kind = "test";
    o.command = "test";
    const TrainResult r = train_toyworld(o);
    QCOMPARE(r.unet_steps, int64_t{3});
    QCOMPARE(r.clip_steps, int64_t{3});
    QVERIFY(std::isfinite(r.unet_loss) && std::isfinite(r.clip_loss));

    const auto j = read_json(o.out_dir + "/pack.json");
    QCOMPARE(j.at("format").get<std::string>(), std::string("blendiff-pack/1"));
    QCOMPARE(j.at("image_size").get<int>(), kImageSize);
    for (const char* role : {"unet", "clip", "tokenizer"}) {
      const std::string file = o.out_dir + "/" + j.at(role).at("file").get<std::string>();
      QCOMPARE(j.at(role).at("sha256").get<std::string>(), core::sha256_file(file));
      QCOMPARE(j.at(role).at("bytes").get<int64_t>(),
               static_cast<int64_t>(std::filesystem::file_size(file)));
    }
    const auto args = pack::create_model_args_from_json(j.at("unet").at("create_model"));
    nn::UNetLoadOptions uo;
    uo.unobservable = nn::unet_config_from_args(args);
    auto unet = nn::load_unet(o.out_dir + "/unet.safetensors", torch::kCPU, uo);
    QCOMPARE(unet->config(), nn::unet_config_from_args(args));
    auto out = unet->forward(torch::zeros({1, 3, kImageSize, kImageSize}), torch::tensor({10.f}));
    QCOMPARE(out.size(1), int64_t{6});
    const auto cc = pack::clip_config_from_json(j.at("clip").at("config"));
    auto clip = nn::load_clip(o.out_dir + "/clip.safetensors", torch::kCPU);  // 64-wide text heads
    QCOMPARE(clip->config(), cc);
    const auto tok = text::ClipTokenizer::from_file(o.out_dir + "/merges.txt");
    QCOMPARE(tok.vocab_size(), cc.vocab_size);
    const int context = j.at("tokenizer").at("context_length").get<int>();
    const auto emb = clip->encode_text(text::tokenize_tensor(tok, {"a red circle"}, context));
    QCOMPARE(emb.size(1), cc.embed_dim);
    QVERIFY(torch::isfinite(emb).all().item<bool>());

    o.resume = true;
    o.unet_steps = 5;
    o.clip_steps = 4;
    const TrainResult again = train_toyworld(o);
    QCOMPARE(again.unet_steps, int64_t{5});
    QCOMPARE(again.clip_steps, int64_t{4});
    const auto j2 = read_json(o.out_dir + "/pack.json");
    QCOMPARE(j2.at("training").at("unet_steps").get<int64_t>(), int64_t{5});
    QCOMPARE(j2.at("training").at("clip_steps").get<int64_t>(), int64_t{4});

    // A sitting with nothing left to train only re-exports: the losses it reports come from
    // train_log.csv (they were zeros), and the recommended CLIP weight is the one given.
    o.edit_clip_lambda = 321;
    const TrainResult export_only = train_toyworld(o);
    QCOMPARE(export_only.unet_steps, int64_t{5});
    QVERIFY(export_only.unet_loss > 0 && export_only.clip_loss > 0);
    const auto j3 = read_json(o.out_dir + "/pack.json");
    QCOMPARE(j3.at("defaults").at("clip_lambda").get<double>(), 321.0);
    QVERIFY(j3.at("training").at("clip_loss").get<double>() > 0);
    QVERIFY(j3.at("training").at("unet_mse").get<double>() > 0);
  }
};

QTEST_GUILESS_MAIN(TestToyWorld)
#include "test_toyworld.moc"
