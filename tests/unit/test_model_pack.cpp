// load_model_pack: every section of pack.json typed and checked at load, every problem
// reported at once with the file and the JSON path; the method key; the models' own packs.
#include <QtTest/QtTest>

#include <fstream>
#include <nlohmann/json.hpp>

#include "bd/engine.h"
#include "bd/error.h"
#include "bd/model_pack.h"
#include "test_support.h"

using namespace bd;

namespace {

// A well-formed manifest of the reference-test shape; the files need not exist to load.
nlohmann::json good_manifest() {
  return {{"format", "blendiff-pack/1"},
          {"name", "unit"},
          {"image_size", 32},
          {"unet",
           {{"file", "unet.safetensors"},
            {"create_model",
             {{"image_size", 32},
              {"num_channels", 32},
              {"channel_mult", "1,2"},
              {"attention_resolutions", "16"},
              {"num_head_channels", 16},
              {"use_fp16", false}}}}},
          {"clip",
           {{"file", "clip.safetensors"},
            {"config", {{"transformer_width", 8}, {"transformer_heads", 2}}}}},
          {"tokenizer", {{"file", "merges.txt"}}},
          {"diffusion", {{"steps", 100}, {"noise_schedule", "cosine"}, {"learn_sigma", false}}}};
}

// A latent pack in the diffusers-folder form.
nlohmann::json latent_manifest() {
  return {{"format", "blendiff-pack/1"},
          {"method", "blended-latent"},
          {"image_size", 64},
          {"unet", {{"file", "unet/diffusion_pytorch_model.safetensors"}}},
          {"vae", {{"file", "vae/diffusion_pytorch_model.safetensors"}}},
          {"text_encoder", {{"file", "text_encoder/model.safetensors"}}},
          {"tokenizer", {{"file", "tokenizer/merges.txt"}}},
          {"scheduler", {{"file", "scheduler/scheduler_config.json"}}}};
}

std::string write_pack(const std::string& name, const std::string& text) {
  const std::string dir = test::scratch_dir("model_pack_" + name);
  std::ofstream(dir + "/pack.json") << text;
  return dir;
}

// The message of the error load_model_pack throws ("" when it loads).
QString load_error(const std::string& dir) {
  try {
    load_model_pack(dir);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::ModelFiles) return "wrong error kind: " + QString(e.what());
    return e.what();
  }
  return {};
}

}  // namespace

class TestModelPack : public QObject {
  Q_OBJECT

 private slots:
  void typedSectionsAreRead() {
    const ModelPack pack = load_model_pack(write_pack("good", good_manifest().dump()));
    QCOMPARE(pack.method, PackMethod::Blended);
    QVERIFY(pack.unet_args.has_value());
    QCOMPARE(pack.unet_args->num_channels, int64_t{32});
    QCOMPARE(pack.unet_args->channel_mult, std::string("1,2"));
    QCOMPARE(pack.unet_args->num_head_channels, int64_t{16});
    QCOMPARE(pack.unet_args->num_res_blocks, CreateModelArgs{}.num_res_blocks);  // absent: default
    QVERIFY(pack.clip_config.has_value());
    QCOMPARE(pack.clip_config->transformer_heads, int64_t{2});
    QCOMPARE(pack.diffusion.steps, int64_t{100});
    QCOMPARE(pack.diffusion.noise_schedule, std::string("cosine"));
    QVERIFY(!pack.diffusion.learn_sigma);

    nlohmann::json j = good_manifest();
    j["unet"].erase("create_model");
    j["clip"].erase("config");
    j.erase("diffusion");
    const ModelPack bare = load_model_pack(write_pack("bare", j.dump()));
    QVERIFY(!bare.unet_args && !bare.clip_config);
    QCOMPARE(bare.diffusion.steps, DiffusionConfig{}.steps);
  }

  void methodKey() {
    nlohmann::json j = good_manifest();
    j["method"] = "blended";
    QCOMPARE(load_model_pack(write_pack("method_blended", j.dump())).method, PackMethod::Blended);
    j = latent_manifest();
    QCOMPARE(load_model_pack(write_pack("method_latent", j.dump())).method,
             PackMethod::BlendedLatent);
    QCOMPARE(method_name(PackMethod::BlendedLatent), std::string("blended-latent"));
    // Accepted by the loader, refused by an engine that cannot run it, before any file
    // is read (this pack has none).
    try {
      Engine::load(load_model_pack(write_pack("method_latent", j.dump())), {"cpu", 1});
      QFAIL("an engine loaded a blended-latent pack");
    } catch (const Error& e) {
      QVERIFY2(QString(e.what()).contains(
                   "uses the method 'blended-latent', which this version cannot run"),
               e.what());
    }
    j["method"] = "stable-diffusion-inpaint";
    const QString msg = load_error(write_pack("method_unknown", j.dump()));
    QVERIFY2(msg.contains(
                 "pack.json: method: unknown method \"stable-diffusion-inpaint\" (known: blended, "
                 "blended-latent)"),
             qPrintable(msg));
    j["method"] = 2;
    QVERIFY(load_error(write_pack("method_number", j.dump()))
                .contains("pack.json: method: expected a string, got 2"));
  }

  void latentPackSections() {
    const ModelPack pack = load_model_pack(write_pack("latent", latent_manifest().dump()));
    QVERIFY(QString::fromStdString(pack.vae.path).endsWith("vae/diffusion_pytorch_model.safetensors"));
    QVERIFY(QString::fromStdString(pack.text_encoder.path).endsWith("text_encoder/model.safetensors"));
    QVERIFY(QString::fromStdString(pack.scheduler.path).endsWith("scheduler/scheduler_config.json"));
    QVERIFY(pack.checkpoint.path.empty());
    QVERIFY(!pack.has_clip());  // optional: no ranking then
    // Every file and each component's config.json is checked, and named when missing.
    QStringList roles;
    for (const PackCheck& c : verify_model_pack(pack, false)) {
      roles << QString::fromStdString(c.role);
      QVERIFY2(!c.ok && QString::fromStdString(c.problem).startsWith("missing"), c.problem.c_str());
    }
    QCOMPARE(roles, QStringList({"unet", "vae", "text_encoder", "tokenizer", "scheduler", "unet config",
                                 "vae config", "text_encoder config"}));

    nlohmann::json single = latent_manifest();
    for (const char* key : {"unet", "vae", "text_encoder"}) single.erase(key);
    single["checkpoint"] = {{"file", "v1-5-pruned-emaonly.safetensors"}};
    const ModelPack one = load_model_pack(write_pack("latent_single", single.dump()));
    QVERIFY(QString::fromStdString(one.checkpoint.path).endsWith("v1-5-pruned-emaonly.safetensors"));
    QVERIFY(one.unet.path.empty() && one.vae.path.empty());

    nlohmann::json both = single;
    both["unet"] = {{"file", "unet/diffusion_pytorch_model.safetensors"}};
    QString msg = load_error(write_pack("latent_both", both.dump()));
    QVERIFY2(msg.contains("unet: not with \"checkpoint\""), qPrintable(msg));

    nlohmann::json missing = latent_manifest();
    missing.erase("vae");
    missing["lpips"] = {{"file", "vgg.pth"}};
    msg = load_error(write_pack("latent_missing", missing.dump()));
    QVERIFY2(msg.contains("vae: missing") && msg.contains("lpips: only the pixel method"), qPrintable(msg));

    nlohmann::json pixel = good_manifest();
    pixel["vae"] = {{"file", "vae.safetensors"}};
    msg = load_error(write_pack("pixel_with_vae", pixel.dump()));
    QVERIFY2(msg.contains("vae: belongs to a \"blended-latent\" pack"), qPrintable(msg));
  }

  // The diffusion section used to be read at the first edit: a bad one loaded fine.
  void badDiffusionSectionIsReportedAtLoad() {
    nlohmann::json j = good_manifest();
    j["diffusion"] = {{"steps", "many"}, {"noise_schedule", "quadratic"}};
    QString msg = load_error(write_pack("bad_diffusion", j.dump()));
    QVERIFY2(msg.contains(
                 "pack.json: diffusion.steps: expected an integer from 1 to 100000, got \"many\""),
             qPrintable(msg));
    j["diffusion"] = {{"noise_schedule", "quadratic"}};
    msg = load_error(write_pack("bad_schedule", j.dump()));
    QVERIFY2(
        msg.contains("pack.json: diffusion.noise_schedule: unknown noise schedule 'quadratic'"),
        qPrintable(msg));
    j["diffusion"] = "linear";
    msg = load_error(write_pack("diffusion_not_object", j.dump()));
    QVERIFY2(msg.contains("pack.json: diffusion: expected an object, got \"linear\""),
             qPrintable(msg));
  }

  void badUNetFieldIsReportedAtLoad() {
    nlohmann::json j = good_manifest();
    j["unet"]["create_model"]["num_channels"] = "x";
    QString msg = load_error(write_pack("bad_unet", j.dump()));
    QVERIFY2(msg.contains("pack.json: unet.create_model.num_channels: expected an integer from 1 "
                          "to 1048576, got \"x\""),
             qPrintable(msg));
    // The lists are checked as the network reads them.
    j = good_manifest();
    j["unet"]["create_model"]["channel_mult"] = "1,two";
    msg = load_error(write_pack("bad_channel_mult", j.dump()));
    QVERIFY2(msg.contains("pack.json: unet.create_model: UNet channel_mult: not an integer: 'two'"),
             qPrintable(msg));
    j = good_manifest();
    j["clip"]["config"]["transformer_heads"] = 3;
    msg = load_error(write_pack("bad_clip_heads", j.dump()));
    QVERIFY2(
        msg.contains(
            "pack.json: clip.config.transformer_heads: 3 heads do not divide transformer_width 8"),
        qPrintable(msg));
  }

  void malformedJsonIsReported() {
    const QString msg =
        load_error(write_pack("malformed", "{\"format\": \"blendiff-pack/1\", \"unet\": {"));
    QVERIFY2(msg.contains("pack.json: invalid model pack, 1 problem:") &&
                 msg.contains("pack.json: not valid JSON"),
             qPrintable(msg));
    // nlohmann reports a number past double's range as out_of_range, not parse_error.
    const QString huge = load_error(write_pack("huge_number", "{\"image_size\": 1E999999}"));
    QVERIFY2(huge.contains("pack.json: not valid JSON") && huge.contains("number overflow"),
             qPrintable(huge));
    QVERIFY2(load_error(write_pack("array", "[1, 2]"))
                 .contains("pack.json: expected a JSON object, got [1,2]"),
             qPrintable(load_error(write_pack("array", "[1, 2]"))));
  }

  // One message lists every problem, from every section, each with file and path.
  void everyProblemAtOnce() {
    nlohmann::json j = good_manifest();
    j["format"] = "blendiff-pack/0";
    j["unet"]["create_model"]["learn_sigma"] = "yes";
    j["unet"]["create_model"]["dropout"] = 2;
    j["clip"]["config"]["vision_layers"] = -1;
    j["clip"]["sha256"] = 5;
    j["diffusion"]["predict_xstart"] = 1;
    j["tokenizer"] = {{"sha256", "00"}};
    j["defaults"] = {{"batch_size", "four"}};
    j["lpips"] = 7;
    const QString msg = load_error(write_pack("many", j.dump()));
    const char* expected[] = {
        "invalid model pack, 9 problems:",
        "pack.json: format: expected \"blendiff-pack/1\", got \"blendiff-pack/0\"",
        "pack.json: unet.create_model.learn_sigma: expected true or false, got \"yes\"",
        "pack.json: unet.create_model.dropout: expected a number from 0.0 to 1.0, got 2",
        "pack.json: clip.config.vision_layers: expected an integer from 1 to 1024, got -1",
        "pack.json: clip.sha256: expected a string, got 5",
        "pack.json: diffusion.predict_xstart: expected true or false, got 1",
        "pack.json: tokenizer.file: missing",
        "pack.json: defaults.batch_size: expected an integer, got \"four\"",
        "pack.json: lpips: expected {\"file\": …} or {\"files\": [{\"file\": …}, …]}, got 7",
    };
    for (const char* e : expected) QVERIFY2(msg.contains(QString::fromUtf8(e)), qPrintable(msg));
  }

  // The packs in models/ load, with the sections the engine builds from.
  void shippedPacksLoad() {
    for (const char* name : {"toyworld", "adm256-clip-vitb16"}) {
      const ModelPack pack = load_model_pack(test::source_path(std::string("models/") + name));
      QVERIFY(pack.unet_args && pack.clip_config);
      QCOMPARE(pack.method, PackMethod::Blended);
      QCOMPARE(pack.diffusion.steps, int64_t{1000});
    }
    const ModelPack latent = load_model_pack(test::source_path("models/toyworld-latent"));
    QCOMPARE(latent.method, PackMethod::BlendedLatent);
    QVERIFY(latent.has_clip());
    for (const PackCheck& c : verify_model_pack(latent, false)) QVERIFY2(c.ok, (c.role + ": " + c.problem).c_str());
  }
};

QTEST_GUILESS_MAIN(TestModelPack)
#include "test_model_pack.moc"
