#include "toyworld/latent_eval.h"

#include <torch/torch.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "diffusion/ddim_scheduler.h"
#include "pack/diffusers_config.h"
#include "pack/diffusers_folder.h"
#include "text/clip_tokenizer.h"
#include "text/token_tensor.h"
#include "toyworld/scene.h"

namespace bd::toyworld {

LatentConditioningReport evaluate_latent_conditioning(const std::string& pack_dir, int scenes) {
  namespace fs = std::filesystem;
  const fs::path dir(pack_dir);
  torch::NoGradGuard no_grad;
  auto unet = pack::load_unet2d_condition((dir / "unet").string(), torch::kCPU);
  auto vae = pack::load_autoencoder_kl((dir / "vae").string(), torch::kCPU);
  auto text = pack::load_clip_text_model((dir / "text_encoder").string(), torch::kCPU);
  const auto tok = text::ClipTokenizer::from_file((dir / "tokenizer/merges.txt").string());
  const int context = static_cast<int>(text->config().max_position_embeddings);
  const double scale = vae->config().scaling_factor;
  const int size = static_cast<int>(
      pack::read_json_file((dir / "pack.json").string()).at("image_size").get<int>());
  const auto alphas =
      diffusion::DdimScheduler(diffusion::LatentScheduleConfig{}, 1).alphas_cumprod();

  LatentConditioningReport r;
  torch::manual_seed(1234);
  SceneOptions options;
  options.size = size;
  options.min_objects = 1;
  options.max_objects = 1;
  for (std::uint64_t seed = 0x1a7e0000; r.scenes < scenes; ++seed) {
    const Scene s = generate_scene(seed, options);  // below kTrainingSeedBit: held out
    if (s.objects.empty()) continue;
    const SceneObject& o = s.objects[0];
    const auto other_shape = static_cast<Shape>((static_cast<int>(o.shape) + 1) % kNumShapes);
    const auto other_colour = static_cast<Colour>((static_cast<int>(o.colour) + 3) % kNumColours);
    const std::vector<std::string> captions = {object_phrase(o.colour, o.shape),
                                               object_phrase(o.colour, other_shape),
                                               object_phrase(other_colour, o.shape), ""};
    const auto x = torch::from_blob(const_cast<std::uint8_t*>(s.image.data.data()),
                                    {1, size, size, 3}, torch::kUInt8)
                           .permute({0, 3, 1, 2})
                           .to(torch::kFloat32) /
                       127.5 -
                   1.0;
    const auto z = vae->encode(x).mean * scale;
    const auto cond =
        text->forward(text::tokenize_tensor(tok, captions, context)).last_hidden_state;
    double mse[4] = {0, 0, 0, 0};
    for (int64_t t : {300, 500, 700, 900}) {
      const auto noise = torch::randn_like(z);
      const auto ab = alphas[t];
      const auto noisy = (ab.sqrt() * z + (1 - ab).sqrt() * noise).expand({4, -1, -1, -1});
      const auto eps = unet->forward(noisy, torch::full({4}, t, torch::kInt64), cond);
      for (int i = 0; i < 4; ++i) mse[i] += (eps[i] - noise[0]).pow(2).mean().item<double>() / 4;
    }
    r.mse_true += mse[0], r.mse_wrong_shape += mse[1], r.mse_wrong_colour += mse[2];
    r.mse_empty += mse[3];
    r.shape_preference += mse[0] < mse[1];
    r.colour_preference += mse[0] < mse[2];
    ++r.scenes;
  }
  for (double* v : {&r.mse_true, &r.mse_wrong_shape, &r.mse_wrong_colour, &r.mse_empty,
                    &r.shape_preference, &r.colour_preference})
    *v /= r.scenes;
  return r;
}

}  // namespace bd::toyworld
