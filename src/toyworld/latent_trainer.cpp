#include "toyworld/latent_trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "bd/error.h"
#include "core/log.h"
#include "core/sha256.h"
#include "io/safetensors.h"
#include "nn/clip.h"
#include "nn/layers.h"
#include "pack/diffusers_config.h"
#include "toyworld/latent_pack.h"
#include "toyworld/latent_unet_trainer.h"
#include "toyworld/text_tower.h"
#include "toyworld/train_log.h"
#include "toyworld/vae_trainer.h"

namespace bd::toyworld {

namespace fs = std::filesystem;

namespace {

constexpr const char* kCheckpoint = "latent_checkpoint.safetensors";
constexpr int kPsnrScenes = 64;    // held-out scenes for the VAE's reconstruction PSNR
constexpr int kScaleScenes = 256;  // scenes the latent scaling factor is measured on

std::shared_ptr<spdlog::logger> logger() { return log::get("toyworld"); }

std::string architecture_json(const LatentArchitecture& a) {
  return nlohmann::json{{"image_size", a.image_size},
                        {"vae", vae_config_json(a.vae)},
                        {"unet", unet_config_json(a.unet)}}
      .dump();
}

// The frozen text encoder and what comes with it from the pixel pack.
struct TextSide {
  std::string clip_path, merges_path, clip_sha256;
  nlohmann::json clip_config;
  int context_length = 32;
  std::optional<text::ClipTokenizer> tokenizer;
  nn::CLIPTextModel encoder{nullptr};
};

TextSide load_text_side(const std::string& pack_dir) {
  const fs::path dir(pack_dir);
  const nlohmann::json j = pack::read_json_file((dir / "pack.json").string());
  TextSide t;
  try {
    t.clip_path = (dir / j.at("clip").at("file").get<std::string>()).string();
    t.merges_path = (dir / j.at("tokenizer").at("file").get<std::string>()).string();
    t.context_length = j.at("tokenizer").at("context_length").get<int>();
    t.clip_config = j.at("clip").at("config");
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::ModelFiles, (dir / "pack.json").string() +
                                           ": needs clip.file, clip.config, tokenizer.file and "
                                           "tokenizer.context_length (" +
                                           e.what() + ")");
  }
  t.clip_sha256 = core::sha256_file(t.clip_path);
  t.tokenizer = text::ClipTokenizer::from_file(t.merges_path);
  nn::Clip clip = nn::load_clip(t.clip_path, torch::kCPU);
  if (clip->config().vocab_size != t.tokenizer->vocab_size())
    throw Error(ErrorKind::ModelFiles, t.clip_path + ": vocabulary of " +
                                           std::to_string(clip->config().vocab_size) +
                                           " tokens, but " + t.merges_path + " makes " +
                                           std::to_string(t.tokenizer->vocab_size()));
  if (t.context_length != clip->config().context_length)
    throw Error(ErrorKind::ModelFiles, (dir / "pack.json").string() +
                                           ": tokenizer.context_length differs from the CLIP's");
  t.encoder = text_tower(clip, t.tokenizer->eot());
  return t;
}

std::string meta_value(const std::map<std::string, std::string>& meta, const fs::path& file,
                       const char* key) {
  const auto it = meta.find(key);
  if (it == meta.end())
    throw Error(ErrorKind::ModelFiles, file.string() + ": metadata lacks " + key);
  return it->second;
}

// Milliseconds of one UNet forward at batch 8 (4 candidates with guidance): what an edit's
// DDIM step costs, measured where training runs.
double unet_forward_ms(const nn::UNet2DConditionConfig& config, int64_t latent_side) {
  torch::NoGradGuard no_grad;
  nn::UNet2DConditionModel net(config);
  net->eval();
  const auto x = torch::randn({8, config.in_channels, latent_side, latent_side});
  const auto context = torch::randn({8, 32, config.cross_attention_dim});
  const auto t = torch::full({8}, 500, torch::kInt64);
  net->forward(x, t, context);
  const auto t0 = std::chrono::steady_clock::now();
  constexpr int kRuns = 5;
  for (int i = 0; i < kRuns; ++i) net->forward(x, t, context);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
         kRuns;
}

}  // namespace

LatentTrainResult train_toyworld_latent(const LatentTrainOptions& o,
                                        const std::atomic<bool>* stop) {
  if (o.vae_steps < 1 || o.unet_steps < 0 || o.vae_batch < 1 || o.unet_batch < 1 ||
      o.pool_scenes < 1)
    throw Error(ErrorKind::InvalidInput,
                "blendiff-train latent: --vae-steps must be >= 1, --unet-steps >= 0, batches and "
                "--pool >= 1");
  const fs::path work(o.work_dir);
  fs::create_directories(work);
  const fs::path checkpoint = work / kCheckpoint;
  LatentArchitecture arch = o.tiny ? tiny_latent_architecture() : latent_architecture();
  TextSide text_side = load_text_side(o.clip_pack_dir);
  arch.unet.cross_attention_dim = text_side.encoder->config().hidden_size;
  const double forward_ms = unet_forward_ms(arch.unet, arch.image_size / 4);
  logger()->info(
      "VAE {} parameters, UNet {}, text encoder {} (frozen); UNet forward at batch 8: "
      "{:.1f} ms",
      nn::parameter_count(*nn::AutoencoderKL(arch.vae)),
      nn::parameter_count(*nn::UNet2DConditionModel(arch.unet)),
      nn::parameter_count(*text_side.encoder), forward_ms);

  std::optional<io::TensorFile> resumed;
  if (o.resume && fs::exists(checkpoint))
    resumed = io::read_safetensors(checkpoint.string());
  else if (o.resume)
    logger()->info("no checkpoint in {}: starting afresh", work.string());

  VAETrainConfig vc;
  vc.model = arch.vae;
  vc.image_size = arch.image_size;
  vc.batch = o.vae_batch;
  VAETrainer vae(vc, o.seed);
  LatentUNetTrainConfig uc;
  uc.model = arch.unet;
  uc.image_size = arch.image_size;
  uc.context_length = text_side.context_length;
  uc.batch = o.unet_batch;
  uc.pool_scenes = o.pool_scenes;
  std::optional<LatentUNetTrainer> unet;

  LatentTrainResult r;
  double wall_before = 0;
  int64_t resumed_unet_step = 0;
  if (resumed) {
    const auto& meta = resumed->metadata;
    auto get = [&](const char* key) { return meta_value(meta, checkpoint, key); };
    if (get("architecture") != architecture_json(arch))
      throw Error(ErrorKind::InvalidInput, checkpoint.string() +
                                               " holds another architecture (tiny vs full?); "
                                               "use another --work");
    if (get("text_encoder_sha256") != text_side.clip_sha256)
      throw Error(ErrorKind::InvalidInput,
                  checkpoint.string() + " was trained on another CLIP than " + text_side.clip_path);
    if (get("seed") != std::to_string(o.seed))
      logger()->warn("checkpoint seed {} differs from --seed {}: the data stream changes",
                     get("seed"), o.seed);
    vae.load_state(*resumed, std::stoll(get("vae_step")));
    resumed_unet_step = std::stoll(get("unet_step"));
    wall_before = std::stod(get("wall_seconds"));
    r.vae_loss = std::stod(get("vae_loss"));
    r.vae_l1 = std::stod(get("vae_l1"));
    r.vae_kl = std::stod(get("vae_kl"));
    r.unet_loss = std::stod(get("unet_loss"));
    r.scaling_factor = std::stod(get("scaling_factor"));
    r.vae_psnr = std::stod(get("vae_psnr"));
    if (resumed_unet_step > 0 && r.scaling_factor <= 0)
      throw Error(ErrorKind::ModelFiles,
                  checkpoint.string() + ": UNet steps without a scaling factor");
    logger()->info("resumed at VAE step {}, UNet step {} ({} trained before)", vae.steps_done(),
                   resumed_unet_step, minutes_text(wall_before));
  }

  // The VAE is frozen once the UNet has trained on its latents, whatever --vae-steps says.
  auto start_unet = [&] {
    if (r.scaling_factor <= 0) {
      vae.model()->eval();
      r.vae_psnr = reconstruction_psnr(vae.model(), arch.image_size, kPsnrScenes);
      r.scaling_factor =
          latent_scaling_factor(vae.model(), o.seed, arch.image_size, o.tiny ? 32 : kScaleScenes);
      logger()->info("VAE frozen after {} steps: held-out PSNR {:.2f} dB, scaling_factor {:.5f}",
                     vae.steps_done(), r.vae_psnr, r.scaling_factor);
    }
    uc.scaling_factor = r.scaling_factor;
    const auto t0 = std::chrono::steady_clock::now();
    unet.emplace(uc, vae.model(), text_side.encoder, *text_side.tokenizer, o.seed);
    logger()->info("{} scenes encoded for the UNet phase in {:.0f} s", uc.pool_scenes,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  };
  if (resumed && resumed_unet_step > 0) {
    if (vae.steps_done() < o.vae_steps)
      logger()->warn("the UNet has trained on the VAE of step {}: it stays frozen",
                     vae.steps_done());
    start_unet();
    unet->load_state(*resumed, resumed_unet_step);
  } else if (resumed && r.scaling_factor > 0 && vae.steps_done() >= o.vae_steps) {
    start_unet();
  }
  resumed.reset();  // the mapping is no longer needed

  const fs::path csv_path = work / "latent_train_log.csv";
  const bool new_csv = !fs::exists(csv_path);
  std::ofstream csv(csv_path, std::ios::app);
  if (new_csv) csv << "wall_s,model,step,loss,l1,kl\n";

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  auto last_log = start, last_checkpoint = start;
  double vae_time = 0, unet_time = 0;
  int64_t vae_count = 0, unet_count = 0;
  Window vw, uw;

  auto fill_result = [&] {
    r.vae_steps = vae.steps_done();
    r.unet_steps = unet ? unet->steps_done() : 0;
    r.wall_minutes = (wall_before + since(start)) / 60.0;
    r.vae_steps_per_s = vae_time > 0 ? vae_count / vae_time : 0;
    r.unet_steps_per_s = unet_time > 0 ? unet_count / unet_time : 0;
    if (vw.n) r.vae_loss = vw.mean(0), r.vae_l1 = vw.mean(1), r.vae_kl = vw.mean(2);
    if (uw.n) r.unet_loss = uw.mean(0);
  };
  auto save = [&] {
    fill_result();
    const double wall = wall_before + since(start);
    auto tensors = vae.state_tensors();
    if (unet) {
      auto more = unet->state_tensors();
      tensors.insert(tensors.end(), more.begin(), more.end());
    }
    auto number = [](double v) { return fmt::format("{:.17g}", v); };
    io::write_safetensors(checkpoint.string(), tensors,
                          {{"vae_step", std::to_string(vae.steps_done())},
                           {"unet_step", std::to_string(r.unet_steps)},
                           {"wall_seconds", number(wall)},
                           {"seed", std::to_string(o.seed)},
                           {"architecture", architecture_json(arch)},
                           {"text_encoder_sha256", text_side.clip_sha256},
                           {"vae_loss", number(r.vae_loss)},
                           {"vae_l1", number(r.vae_l1)},
                           {"vae_kl", number(r.vae_kl)},
                           {"unet_loss", number(r.unet_loss)},
                           {"scaling_factor", number(r.scaling_factor)},
                           {"vae_psnr", number(r.vae_psnr)}});
    csv.flush();
    if (!unet) {
      logger()->info("checkpoint {} written (VAE {}); the pack follows with the UNet phase",
                     checkpoint.string(), vae.steps_done());
      return;
    }
    LatentPackFiles files;
    files.scaling_factor = r.scaling_factor;
    files.merges_path = text_side.merges_path;
    files.context_length = text_side.context_length;
    files.ranking_clip_path = text_side.clip_path;
    files.ranking_clip_config = text_side.clip_config;
    files.training = {{"kind", o.kind},
                      {"command", o.command},
                      {"text_encoder", "the ToyWorld CLIP's text tower, frozen"},
                      {"vae_steps", r.vae_steps},
                      {"vae_batch", o.vae_batch},
                      {"vae_loss", r.vae_loss},
                      {"vae_l1", r.vae_l1},
                      {"vae_kl", r.vae_kl},
                      {"vae_kl_weight", vc.kl_weight},
                      {"vae_psnr_held_out", r.vae_psnr},
                      {"unet_steps", r.unet_steps},
                      {"unet_batch", o.unet_batch},
                      {"unet_scene_pool", o.pool_scenes},
                      {"unet_loss", r.unet_loss},
                      {"caption_dropout", uc.empty_caption_share},
                      {"unet_forward_ms_batch8", std::round(forward_ms * 10) / 10},
                      {"wall_minutes", std::round(wall / 6.0) / 10.0},
                      {"seed", o.seed}};
    export_latent_pack(o.out_dir, arch, unet->ema(), vae.model(), text_side.encoder,
                       *text_side.tokenizer, files);
    r.exported = true;
    logger()->info("checkpoint {} and pack {} written (VAE {}, UNet {})", checkpoint.string(),
                   o.out_dir, vae.steps_done(), r.unet_steps);
  };

  while (true) {
    const double wall = wall_before + since(start);
    const bool vae_done = unet.has_value() || vae.steps_done() >= o.vae_steps;
    if ((vae_done && unet && unet->steps_done() >= o.unet_steps) ||
        (o.minutes > 0 && wall >= o.minutes * 60) || (stop && stop->load()))
      break;
    if (vae_done && !unet) {
      start_unet();
      continue;
    }
    const auto t0 = Clock::now();
    if (!vae_done) {
      const VAEStepStats s = vae.step();
      vae_time += since(t0);
      ++vae_count;
      vw.add(s.loss, s.l1, s.kl);
      csv << wall << ",vae," << vae.steps_done() << "," << s.loss << "," << s.l1 << "," << s.kl
          << "\n";
    } else {
      const LatentUNetStepStats s = unet->step();
      unet_time += since(t0);
      ++unet_count;
      uw.add(s.loss, 0, 0);
      csv << wall << ",unet," << unet->steps_done() << "," << s.loss << ",,\n";
    }
    if (since(last_log) >= o.log_seconds) {
      fill_result();
      if (!unet)
        logger()->info("VAE {}/{} loss {:.4f} (l1 {:.4f}, kl {:.2f}) {:.2f} it/s | {} elapsed",
                       vae.steps_done(), o.vae_steps, r.vae_loss, r.vae_l1, r.vae_kl,
                       r.vae_steps_per_s, minutes_text(r.wall_minutes * 60));
      else
        logger()->info("UNet {}/{} loss {:.4f} {:.2f} it/s | {} elapsed", unet->steps_done(),
                       o.unet_steps, r.unet_loss, r.unet_steps_per_s,
                       minutes_text(r.wall_minutes * 60));
      vw = Window{};
      uw = Window{};
      last_log = Clock::now();
      csv.flush();
    }
    if (since(last_checkpoint) >= o.checkpoint_minutes * 60) {
      save();
      last_checkpoint = Clock::now();
    }
  }
  save();
  return r;
}

}  // namespace bd::toyworld
