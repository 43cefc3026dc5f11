// blendiff-train: trains the ToyWorld pack (BPE merges, UNet, CLIP) from scratch and
// exports models/toyworld/ at every checkpoint; `blendiff-train latent` trains the latent
// pack (AutoencoderKL, text-conditional UNet) into models/toyworld-latent/.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>

#include "bd/error.h"
#include "bd/runtime.h"
#include "toyworld/latent_eval.h"
#include "toyworld/latent_trainer.h"
#include "toyworld/samples.h"
#include "toyworld/trainer.h"

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop.store(true); }

std::string command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) s += (i ? " " : "") + std::string(i ? argv[i] : "blendiff-train");
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  bd::restart_with_passive_openmp_wait(argv);
  spdlog::set_default_logger(spdlog::stderr_color_mt("blendiff-train"));
  spdlog::set_pattern("[%H:%M:%S] [%n] [%l] %v");

  CLI::App app{"blendiff-train " + bd::version() +
               ": trains the ToyWorld model pack (UNet, CLIP, BPE merges)"};
  app.set_version_flag("--version", "blendiff-train " + bd::version());
  bd::toyworld::TrainOptions o;
  int threads = 2;
  app.add_option("--threads", threads, "CPU threads for LibTorch (0 = all cores)")
      ->check(CLI::Range(0, 1024));
  app.add_option("--out", o.out_dir, "Pack folder written at every checkpoint")
      ->capture_default_str();
  app.add_option("--work", o.work_dir, "Work folder: checkpoint, merges, train_log.csv")
      ->capture_default_str();
  app.add_flag("--resume", o.resume,
               "Continue from the work folder's checkpoint when there is one");
  app.add_option("--unet-steps", o.unet_steps, "UNet optimizer steps in all")
      ->capture_default_str();
  app.add_option("--clip-steps", o.clip_steps, "CLIP optimizer steps in all")
      ->capture_default_str();
  app.add_option("--batch", o.unet_batch, "UNet batch size")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  app.add_option("--clip-batch", o.clip_batch, "CLIP batch size (images)")
      ->capture_default_str()
      ->check(CLI::Range(8, 4096));
  app.add_option("--seed", o.seed, "Run seed (scenes, noise, initial weights)")
      ->capture_default_str();
  app.add_option("--minutes", o.minutes, "Wall-clock budget over all sittings (0 = none)")
      ->capture_default_str();
  app.add_option("--checkpoint-minutes", o.checkpoint_minutes, "Minutes between checkpoints")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 600.0));
  app.add_option("--log-seconds", o.log_seconds, "Seconds between progress lines")
      ->capture_default_str();
  app.add_option("--kind", o.kind, "Recorded in pack.json training.kind")
      ->capture_default_str()
      ->check(CLI::IsMember({"full", "smoke", "test"}));
  app.add_option("--edit-clip-lambda", o.edit_clip_lambda,
                 "CLIP weight pack.json recommends for edits (tune it on validation seeds)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e6));
  app.add_flag("--tiny", o.tiny, "Tiny networks (tests and smoke checks of the pipeline only)");
  std::string samples_dir;
  bd::toyworld::SampleOptions samples;
  app.add_option("--write-samples", samples_dir,
                 "Only write sample scenes (image, mask, prompt) into this folder, then exit");
  app.add_option("--samples", samples.count, "How many sample scenes")->capture_default_str();
  app.add_option("--sample-size", samples.size, "Sample scene size in pixels")
      ->capture_default_str();

  bd::toyworld::LatentTrainOptions lo;
  CLI::App* latent = app.add_subcommand(
      "latent", "Train the ToyWorld latent pack (AutoencoderKL, then a text-conditional UNet)");
  latent->add_option("--threads", threads, "CPU threads for LibTorch (0 = all cores)")
      ->check(CLI::Range(0, 1024));
  latent->add_option("--out", lo.out_dir, "Pack folder written at every checkpoint")
      ->capture_default_str();
  latent->add_option("--work", lo.work_dir, "Work folder: checkpoint, latent_train_log.csv")
      ->capture_default_str();
  latent
      ->add_option(
          "--clip-pack", lo.clip_pack_dir,
          "Pixel pack whose CLIP gives the frozen text encoder, tokenizer and ranking CLIP")
      ->capture_default_str();
  latent->add_flag("--resume", lo.resume,
                   "Continue from the work folder's checkpoint when there is one");
  latent->add_option("--vae-steps", lo.vae_steps, "AutoencoderKL optimizer steps (phase 1)")
      ->capture_default_str();
  latent->add_option("--unet-steps", lo.unet_steps, "UNet optimizer steps (phase 2)")
      ->capture_default_str();
  latent->add_option("--vae-batch", lo.vae_batch, "AutoencoderKL batch size")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  latent->add_option("--batch", lo.unet_batch, "UNet batch size")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  latent
      ->add_option("--pool", lo.pool_scenes,
                   "Scenes encoded once into the UNet phase's pool of latents")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 22));
  latent->add_option("--seed", lo.seed, "Run seed (scenes, noise, initial weights)")
      ->capture_default_str();
  latent->add_option("--minutes", lo.minutes, "Wall-clock budget over all sittings (0 = none)")
      ->capture_default_str();
  latent->add_option("--checkpoint-minutes", lo.checkpoint_minutes, "Minutes between checkpoints")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 600.0));
  latent->add_option("--log-seconds", lo.log_seconds, "Seconds between progress lines")
      ->capture_default_str();
  latent->add_option("--kind", lo.kind, "Recorded in pack.json training.kind")
      ->capture_default_str()
      ->check(CLI::IsMember({"full", "smoke", "test"}));
  latent->add_flag("--tiny", lo.tiny,
                   "Tiny networks (tests and smoke checks of the pipeline only)");
  std::string eval_pack;
  int eval_scenes = 200;
  CLI::App* latent_eval = app.add_subcommand(
      "latent-eval",
      "Measure how much a latent pack's UNet uses its caption (held-out scenes, true vs wrong "
      "captions)");
  latent_eval->add_option("--pack", eval_pack, "The pack folder")->required();
  latent_eval->add_option("--scenes", eval_scenes, "Held-out scenes")->capture_default_str();
  latent_eval->add_option("--threads", threads, "CPU threads for LibTorch (0 = all cores)");
  CLI11_PARSE(app, argc, argv);
  if (!samples_dir.empty()) {
    try {
      for (const auto& f : bd::toyworld::write_sample_scenes(samples_dir, samples))
        std::printf("%s\n", f.c_str());
      return 0;
    } catch (const bd::Error& e) {
      std::fprintf(stderr, "blendiff-train: error (%s): %s\n", bd::to_string(e.kind()), e.what());
      return 1;
    }
  }
  o.command = command_line(argc, argv);
  lo.command = o.command;

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    const int used = bd::configure_process(threads);
    spdlog::info("{} | {} threads | {}", o.command, used, bd::backend_summary());
    if (latent_eval->parsed()) {
      const auto r = bd::toyworld::evaluate_latent_conditioning(eval_pack, eval_scenes);
      std::printf(
          "%d held-out scenes, eps MSE at t 300-900: true caption %.5f, wrong shape %.5f, wrong "
          "colour %.5f, empty %.5f; true beats wrong shape in %.0f %%, wrong colour in %.0f %%\n",
          r.scenes, r.mse_true, r.mse_wrong_shape, r.mse_wrong_colour, r.mse_empty,
          100 * r.shape_preference, 100 * r.colour_preference);
      return 0;
    }
    if (latent->parsed()) {
      const auto r = bd::toyworld::train_toyworld_latent(lo, &g_stop);
      spdlog::info("done: VAE {} steps ({:.2f}/s), UNet {} steps ({:.2f}/s), {:.1f} min in all; {}",
                   r.vae_steps, r.vae_steps_per_s, r.unet_steps, r.unet_steps_per_s, r.wall_minutes,
                   r.exported ? "pack in " + lo.out_dir : std::string("no pack yet (VAE phase)"));
      return 0;
    }
    const auto r = bd::toyworld::train_toyworld(o, &g_stop);
    spdlog::info(
        "done: UNet {} steps ({:.2f}/s), CLIP {} steps ({:.2f}/s), {:.1f} min in all; pack in {}",
        r.unet_steps, r.unet_steps_per_s, r.clip_steps, r.clip_steps_per_s, r.wall_minutes,
        o.out_dir);
    return 0;
  } catch (const bd::Error& e) {
    std::fprintf(stderr, "blendiff-train: error (%s): %s\n", bd::to_string(e.kind()), e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "blendiff-train: unexpected error: %s\n", e.what());
    return 1;
  }
}
