// The ToyWorld latent pack's trainer: the frozen text encoder is the ToyWorld CLIP's text
// tower exactly, training captions follow their shares, and a few-step run writes a
// diffusers folder the Stable Diffusion loaders read, then resumes where it stopped and
// ends where an uninterrupted run ends.
#include <torch/torch.h>
#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/sha256.h"
#include "io/safetensors.h"
#include "nn/clip.h"
#include "pack/diffusers_config.h"
#include "pack/diffusers_folder.h"
#include "test_support.h"
#include "text/clip_tokenizer.h"
#include "text/token_tensor.h"
#include "toyworld/latent_trainer.h"
#include "toyworld/latent_unet_trainer.h"
#include "toyworld/scene.h"
#include "toyworld/text_tower.h"

using namespace bd;
using namespace bd::toyworld;

namespace {

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

LatentTrainOptions tiny_options(const std::string& root) {
  LatentTrainOptions o;
  o.out_dir = root + "/pack";
  o.work_dir = root + "/work";
  o.clip_pack_dir = test::source_path("models/toyworld");
  o.tiny = true;
  o.vae_steps = 2;
  o.unet_steps = 2;
  o.vae_batch = 2;
  o.unet_batch = 2;
  o.pool_scenes = 8;
  o.kind = "test";
  o.command = "test";
  return o;
}

torch::Tensor max_difference(const std::string& a, const std::string& b) {
  const auto fa = io::read_safetensors(a), fb = io::read_safetensors(b);
  torch::Tensor worst = torch::zeros({});
  for (const auto& t : fa.tensors)
    worst = torch::maximum(worst, (t.tensor - fb.at(t.name)).abs().max());
  return worst;
}

}  // namespace

class TestToyWorldLatent : public QObject {
  Q_OBJECT

 private slots:
  void textTowerIsTheClipTextEncoder() {
    auto clip = nn::load_clip(test::source_path("models/toyworld/clip.safetensors"), torch::kCPU);
    const auto tok =
        text::ClipTokenizer::from_file(test::source_path("models/toyworld/merges.txt"));
    auto tower = text_tower(clip, tok.eot());
    QCOMPARE(tower->config().max_position_embeddings, clip->config().context_length);
    const auto ids =
        text::tokenize_tensor(tok, {"a red circle", "", "a small blue ring on a green background"},
                              static_cast<int>(clip->config().context_length));
    torch::NoGradGuard no_grad;
    const auto out = tower->forward(ids);
    torch::Tensor projection;
    for (const auto& p : clip->named_parameters())
      if (p.key() == "text_projection") projection = p.value();
    QVERIFY(projection.defined());
    const auto expected = clip->encode_text(ids);
    const auto got = torch::matmul(out.pooler_output, projection);
    QVERIFY2(torch::allclose(got, expected, 1e-4, 1e-5),
             qPrintable(QString::number((got - expected).abs().max().item<double>())));
    // Captions that differ in one word condition the UNet differently.
    QVERIFY((out.last_hidden_state[0] - out.last_hidden_state[2]).abs().max().item<float>() > 0.1f);
  }

  void trainingCaptionsFollowTheirShares() {
    LatentUNetTrainConfig c;
    Scene s;
    for (std::uint64_t seed = 1; s.objects.size() != 2; ++seed)
      s = generate_scene(seed, {64, 2, 2, 0.0});
    QCOMPARE(latent_training_caption(s, c, {0.05, 0.9, 0.9}), std::string());
    QCOMPARE(latent_training_caption(s, c, {0.9, 0.0, 0.9}), s.caption);
    const SceneObject& second = s.objects[1];
    QCOMPARE(latent_training_caption(s, c, {0.3, 0.9, 0.9}),
             object_phrase(second.colour, second.shape));
    QCOMPARE(latent_training_caption(s, c, {0.3, 0.1, 0.1}),
             object_phrase(s.objects[0].colour, s.objects[0].shape, s.objects[0].size));
    const Scene empty = generate_scene(7, {64, 0, 0, 0.0});
    QCOMPARE(latent_training_caption(empty, c, {0.3, 0.5, 0.5}), empty.caption);
  }

  void trainingWritesADiffusersFolderAndResumes() {
    const std::string root = test::scratch_dir("toyworld_latent_train");
    LatentTrainOptions o = tiny_options(root + "/split");
    o.unet_steps = 1;
    const LatentTrainResult first = train_toyworld_latent(o);
    QCOMPARE(first.vae_steps, int64_t{2});
    QCOMPARE(first.unet_steps, int64_t{1});
    QVERIFY(first.exported);
    QVERIFY(first.scaling_factor > 0 && std::isfinite(first.scaling_factor));
    QVERIFY(std::isfinite(first.unet_loss) && first.unet_loss > 0);

    const auto j = read_json(o.out_dir + "/pack.json");
    QCOMPARE(j.at("method").get<std::string>(), std::string("blended-latent"));
    QCOMPARE(j.at("image_size").get<int>(), 64);
    for (const char* role : {"unet", "vae", "text_encoder", "tokenizer", "clip"}) {
      const std::string file = o.out_dir + "/" + j.at(role).at("file").get<std::string>();
      QCOMPARE(j.at(role).at("sha256").get<std::string>(), core::sha256_file(file));
      QCOMPARE(j.at(role).at("bytes").get<int64_t>(),
               static_cast<int64_t>(std::filesystem::file_size(file)));
    }
    QCOMPARE(j.at("tokenizer").at("context_length").get<int>(), 32);
    const auto sched = read_json(o.out_dir + "/" + j.at("scheduler").at("file").get<std::string>());
    QCOMPARE(sched.at("_class_name").get<std::string>(), std::string("DDIMScheduler"));
    QCOMPARE(sched.at("steps_offset").get<int>(), 1);
    QCOMPARE(read_json(o.out_dir + "/model_index.json").at("_class_name").get<std::string>(),
             std::string("StableDiffusionPipeline"));

    // The Stable Diffusion loaders read every component.
    auto unet = pack::load_unet2d_condition(o.out_dir + "/unet", torch::kCPU);
    auto vae = pack::load_autoencoder_kl(o.out_dir + "/vae", torch::kCPU);
    auto text = pack::load_clip_text_model(o.out_dir + "/text_encoder", torch::kCPU);
    QCOMPARE(vae->downscale_factor(), int64_t{4});
    QCOMPARE(vae->config().scaling_factor, first.scaling_factor);
    QCOMPARE(text->config().max_position_embeddings, int64_t{32});
    QCOMPARE(unet->config().cross_attention_dim, text->config().hidden_size);
    const auto tok = text::ClipTokenizer::from_file(o.out_dir + "/tokenizer/merges.txt");
    QCOMPARE(tok.vocab_size(), text->config().vocab_size);
    QCOMPARE(read_json(o.out_dir + "/tokenizer/vocab.json").size(),
             static_cast<size_t>(tok.vocab_size()));
    {
      torch::NoGradGuard no_grad;
      const auto context = text->forward(text::tokenize_tensor(tok, {"a red circle", ""}, 32));
      const auto z = vae->encode(torch::zeros({2, 3, 64, 64})).mean;
      QCOMPARE(z.sizes(), (torch::IntArrayRef{2, 4, 16, 16}));
      const auto eps = unet->forward(z, torch::tensor({999, 10}), context.last_hidden_state);
      QCOMPARE(eps.sizes(), z.sizes());
      QVERIFY(torch::isfinite(eps).all().item<bool>());
    }

    // Resumed: the step counters continue, the VAE stays frozen, and the UNet ends where a
    // run without the break ends (weights, optimizer moments and data stream restored).
    o.resume = true;
    o.unet_steps = 3;
    o.vae_steps = 5;  // ignored: the UNet has trained on the VAE of step 2
    const LatentTrainResult again = train_toyworld_latent(o);
    QCOMPARE(again.vae_steps, int64_t{2});
    QCOMPARE(again.unet_steps, int64_t{3});
    QCOMPARE(again.scaling_factor, first.scaling_factor);
    QCOMPARE(read_json(o.out_dir + "/pack.json").at("training").at("unet_steps").get<int64_t>(),
             int64_t{3});

    LatentTrainOptions whole = tiny_options(root + "/whole");
    whole.unet_steps = 3;
    const LatentTrainResult straight = train_toyworld_latent(whole);
    QCOMPARE(straight.unet_steps, int64_t{3});
    const std::string weights = "/unet/diffusion_pytorch_model.safetensors";
    const double diff = max_difference(o.out_dir + weights, whole.out_dir + weights).item<double>();
    QVERIFY2(diff < 1e-6, qPrintable(QString::number(diff)));
    // ... and a run with one step fewer does not (the comparison can fail).
    LatentTrainOptions shorter = tiny_options(root + "/shorter");
    train_toyworld_latent(shorter);
    QVERIFY(max_difference(o.out_dir + weights, shorter.out_dir + weights).item<double>() > 1e-6);
  }
};

QTEST_GUILESS_MAIN(TestToyWorldLatent)
#include "test_toyworld_latent.moc"
