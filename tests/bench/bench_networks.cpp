// Network speed at the published sizes (not a test: prints JSON for the notes).
//   UNet 256x256 unconditional, batch 1: forward; forward + backward to the input.
//   CLIP ViT-B/16 encode_image on 8 views at 224: forward + backward to the views.
//   CLIP tokenizer: prompts per second (needs bpe_simple_vocab_16e6.txt.gz).
//   --sd15 instead: Stable Diffusion 1.5's networks, no gradients: the text encoder on two
//   77-token prompts, one UNet step with classifier-free guidance (batch 2, 64×64 latent),
//   VAE encode of a 512×512 image and decode of a 64×64 latent; then peak resident memory.
// Random weights: timings do not depend on values. Median of --repeats after a warm-up.
#include <torch/torch.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bd/runtime.h"
#include "nn/clip.h"
#include "nn/clip_text_hf.h"
#include "nn/layers.h"
#include "nn/sd_unet.h"
#include "nn/unet.h"
#include "nn/vae.h"
#include "text/clip_tokenizer.h"

namespace {

double median_seconds(const std::function<void()>& fn, int repeats) {
  fn();  // warm-up: allocator, thread pool
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void run_sd15(int repeats) {
  torch::NoGradGuard no_grad;
  {
    bd::nn::CLIPTextModel text(bd::nn::CLIPTextConfig{});
    bd::nn::freeze(*text);
    const torch::Tensor ids = torch::randint(0, 49408, {2, 77}, torch::kLong);
    std::printf(", \"sd15_text_encoder_2x77_s\": %.3f",
                median_seconds([&] { text->forward(ids); }, repeats));
  }
  {
    bd::nn::UNet2DConditionModel unet(bd::nn::UNet2DConditionConfig{});
    bd::nn::freeze(*unet);
    const torch::Tensor x = torch::randn({2, 4, 64, 64}), ctx = torch::randn({2, 77, 768});
    std::printf(", \"sd15_unet_64x64_batch2_s\": %.3f",
                median_seconds([&] { unet->forward(x, torch::tensor({500.0f}), ctx); }, repeats));
  }
  {
    bd::nn::AutoencoderKL vae(bd::nn::AutoencoderKLConfig{});
    bd::nn::freeze(*vae);
    const torch::Tensor image = torch::rand({1, 3, 512, 512}) * 2 - 1, z = torch::randn({1, 4, 64, 64});
    std::printf(", \"sd15_vae_encode_512_s\": %.3f", median_seconds([&] { vae->encode(image); }, repeats));
    std::printf(", \"sd15_vae_decode_64_s\": %.3f", median_seconds([&] { vae->decode(z); }, repeats));
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(", \"peak_rss_mib\": %.0f", static_cast<double>(usage.ru_maxrss) / 1024.0);
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 0, repeats = 3;
  bool skip_unet = false, sd15 = false;
  std::string vocab;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--vocab") && i + 1 < argc) vocab = argv[++i];
    else if (!std::strcmp(argv[i], "--skip-unet")) skip_unet = true;
    else if (!std::strcmp(argv[i], "--sd15")) sd15 = true;
  }
  bd::set_threads(threads);
  torch::manual_seed(0);
  std::printf("{\"threads\": %d", at::get_num_threads());
  if (sd15) {
    run_sd15(repeats);
    std::printf("}\n");
    return 0;
  }

  if (!skip_unet) {
    bd::nn::UNet unet(bd::nn::UNetConfig{});
    bd::nn::freeze(*unet);
    auto x = torch::randn({1, 3, 256, 256});
    auto t = torch::tensor({500.0f});
    const double fwd = median_seconds([&] {
      torch::NoGradGuard no_grad;
      unet->forward(x, t);
    }, repeats);
    const double fwd_bwd = median_seconds([&] {
      auto xi = x.clone().requires_grad_(true);
      auto y = unet->forward(xi, t);
      torch::autograd::grad({y.square().mean()}, {xi});
    }, repeats);
    std::printf(", \"unet256_forward_s\": %.3f, \"unet256_forward_backward_s\": %.3f", fwd, fwd_bwd);
  }

  bd::nn::Clip clip(bd::nn::ClipConfig{});
  bd::nn::freeze(*clip);
  auto views = torch::randn({8, 3, 224, 224});
  const double clip_s = median_seconds([&] {
    auto v = views.clone().requires_grad_(true);
    auto e = clip->encode_image(v).to(torch::kFloat32);
    torch::autograd::grad({e.square().sum()}, {v});
  }, repeats);
  std::printf(", \"clip_vitb16_encode_image_8_fwd_bwd_s\": %.3f", clip_s);

  if (!vocab.empty()) {
    auto tokenizer = bd::text::ClipTokenizer::from_file(vocab);
    std::vector<std::string> prompts;
    for (int i = 0; i < 2000; ++i)
      prompts.push_back("a photo of a red apple number " + std::to_string(i) + " on a wooden table, highly detailed");
    const auto t0 = std::chrono::steady_clock::now();
    tokenizer.tokenize(prompts);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf(", \"tokenizer_prompts_per_s\": %.0f", prompts.size() / s);
  }
  std::printf("}\n");
  return 0;
}
