// Network speed at the published sizes (not a test: prints JSON for the notes).
//   UNet 256x256 unconditional, batch 1: forward; forward + backward to the input.
//   CLIP ViT-B/16 encode_image on 8 views at 224: forward + backward to the views.
//   CLIP tokenizer: prompts per second (needs bpe_simple_vocab_16e6.txt.gz).
// Random weights: timings do not depend on values. Median of --repeats after a warm-up.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bd/runtime.h"
#include "nn/clip.h"
#include "nn/layers.h"
#include "nn/unet.h"
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

}  // namespace

int main(int argc, char** argv) {
  int threads = 0, repeats = 3;
  bool skip_unet = false;
  std::string vocab;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--vocab") && i + 1 < argc) vocab = argv[++i];
    else if (!std::strcmp(argv[i], "--skip-unet")) skip_unet = true;
  }
  bd::set_threads(threads);
  torch::manual_seed(0);
  std::printf("{\"threads\": %d", at::get_num_threads());

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
