#include "toyworld/clip_trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "bd/error.h"
#include "editing/augment.h"
#include "editing/guidance.h"
#include "text/token_tensor.h"
#include "toyworld/checkpoint.h"

namespace bd::toyworld {

namespace {

enum class View { Guidance, Ranking, Whole };

torch::Tensor image_tensor(const Image& image) {  // -> [3, S, S] in [-1, 1]
  auto t = torch::from_blob(const_cast<std::uint8_t*>(image.data.data()),
                            {image.height, image.width, 3}, torch::kUInt8);
  return t.permute({2, 0, 1}).to(torch::kFloat32).div(127.5).sub(1.0);
}

torch::Tensor mask_tensor(const Image& mask) {  // -> [1, S, S] in {0, 1}
  auto t = torch::from_blob(const_cast<std::uint8_t*>(mask.data.data()),
                            {1, mask.height, mask.width}, torch::kUInt8);
  return t.to(torch::kFloat32).div(255.0);
}

bool is_true_of(const TextMeaning& image, const TextMeaning& text) {
  // An empty region and an empty scene share their caption ("a green background").
  if (image.kind != TextMeaning::Kind::Object || text.kind != TextMeaning::Kind::Object)
    return image.kind != TextMeaning::Kind::Object && text.kind != TextMeaning::Kind::Object &&
           image.caption == text.caption;
  return image.colour == text.colour && image.shape == text.shape &&
         (text.size < 0 || text.size == image.size);
}

// splitmix-based coin, so the batch composition does not depend on torch's RNG.
double unit(std::uint64_t seed) {
  return static_cast<double>(mix_seed(seed, 0x5eed) >> 11) * 0x1.0p-53;
}

}  // namespace

ClipBatch make_clip_batch(const ClipTrainConfig& config, std::uint64_t run_seed, int64_t step) {
  const int64_t b = config.batch;
  const int res = static_cast<int>(config.model.image_resolution);
  std::vector<torch::Tensor> inputs;  // [-1, 1], masked as each view needs
  std::vector<View> views;
  ClipBatch batch;
  std::vector<std::string> seen;
  auto add_text = [&](const TextMeaning& m) {
    if (std::find(seen.begin(), seen.end(), m.caption) != seen.end()) return;
    seen.push_back(m.caption);
    batch.texts.push_back(m);
  };
  std::vector<std::uint64_t> aug_seeds;
  for (int64_t i = 0; i < b; ++i) {
    const std::uint64_t seed = training_seed(run_seed, 2, static_cast<std::uint64_t>(step), i);
    aug_seeds.push_back(mix_seed(seed, 0xa06));
    const double u = static_cast<double>(i) / static_cast<double>(b);  // fixed shares per batch
    const double coin = unit(seed), coin2 = unit(seed + 1), coin3 = unit(seed + 2);
    EditCaseOptions eo;
    eo.scene.size = res;
    eo.min_margin = 1;
    eo.max_margin = 5;
    if (u < config.guidance_share + config.ranking_share + config.empty_share) {
      const bool empty = u >= config.guidance_share + config.ranking_share;
      eo.empty_area_probability = empty ? 1.0 : 0.0;
      const EditCase e = generate_edit_case(seed, eo);
      View view = u < config.guidance_share ? View::Guidance : View::Ranking;
      if (empty) view = coin < 0.5 ? View::Guidance : View::Ranking;
      const auto x = image_tensor(e.scene.image), m = mask_tensor(e.mask);
      TextMeaning meaning;
      if (e.object_index >= 0) {
        const SceneObject& o = e.scene.objects[e.object_index];
        meaning = {TextMeaning::Kind::Object, o.colour, o.shape, static_cast<int>(o.size), ""};
        TextMeaning text = meaning;
        if (coin2 < 0.5) text.size = -1;
        text.caption = object_phrase(o.colour, o.shape,
                                     text.size < 0 ? std::nullopt : std::optional<Size>(o.size));
        add_text(text);
        // Hard negatives: the same colour with every other shape (shape is what a tiny
        // CLIP learns last), and one other colour with the same shape.
        for (int s = 0; s < kNumShapes; ++s) {
          if (s == static_cast<int>(o.shape)) continue;
          TextMeaning neg = text;
          neg.shape = static_cast<Shape>(s);
          neg.caption = object_phrase(neg.colour, neg.shape,
                                      text.size < 0 ? std::nullopt : std::optional<Size>(o.size));
          add_text(neg);
        }
        TextMeaning neg = text;
        neg.colour = static_cast<Colour>(
            (static_cast<int>(o.colour) + 1 + static_cast<int>(coin3 * 7)) % kNumColours);
        neg.caption = object_phrase(neg.colour, neg.shape,
                                    text.size < 0 ? std::nullopt : std::optional<Size>(o.size));
        add_text(neg);
      } else {
        meaning = {TextMeaning::Kind::Region, Colour::Red, Shape::Circle, -1,
                   background_phrase(e.scene, false)};
        add_text(meaning);
      }
      batch.image_meaning.push_back(meaning);
      if (view == View::Guidance) {
        auto v = x * m;  // the engine's x·mask: mid-grey outside
        // Guidance sees x̂₀-like images early in sampling: some noise inside the mask.
        if (coin3 < 0.3) v = v + 0.25 * coin2 * torch::randn_like(v) * m;
        inputs.push_back(v);
      } else {
        inputs.push_back(x * m + (m - 1));  // black outside once mapped to [0, 1]
      }
      views.push_back(view);
    } else {
      const Scene s = generate_scene(seed, eo.scene);
      TextMeaning meaning{TextMeaning::Kind::Scene, Colour::Red, Shape::Circle, -1, s.caption};
      add_text(meaning);
      batch.image_meaning.push_back(meaning);
      inputs.push_back(image_tensor(s.image));
      views.push_back(View::Whole);
    }
  }

  const auto stacked = torch::stack(inputs);  // [B, 3, S, S]
  editing::AugmentSettings as;
  as.clip_size = res;
  as.views = 2;
  editing::ClipAugmenter augmenter(as, aug_seeds);
  torch::Tensor augmented;
  {
    torch::NoGradGuard no_grad;
    augmented = augmenter(stacked);  // [plain B, warped B]
  }
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < b; ++i) {
    const bool warp = unit(aug_seeds[i]) < (views[i] == View::Guidance ? 0.75 : 0.5);
    if (views[i] == View::Ranking) {
      out.push_back(stacked[i].add(1).div(2));
    } else {
      out.push_back(editing::clip_normalize(augmented[warp ? b + i : i].unsqueeze(0).add(1).div(2))
                        .squeeze(0));
    }
  }
  batch.images = torch::stack(out);
  const int64_t n_texts = static_cast<int64_t>(batch.texts.size());
  batch.targets = torch::zeros({b, n_texts});
  auto acc = batch.targets.accessor<float, 2>();
  for (int64_t i = 0; i < b; ++i)
    for (int64_t j = 0; j < n_texts; ++j)
      acc[i][j] = is_true_of(batch.image_meaning[i], batch.texts[j]) ? 1.f : 0.f;
  return batch;
}

ClipTrainer::ClipTrainer(const ClipTrainConfig& config, text::ClipTokenizer tokenizer,
                         std::uint64_t seed)
    : config_(config), tokenizer_(std::move(tokenizer)), seed_(seed) {
  torch::manual_seed(mix_seed(seed, 0xc11b));
  model_ = nn::Clip(config.model);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model_->named_parameters())
      if (p.key() == "token_embedding.weight") p.value().normal_(0.0, 0.02);  // as OpenAI's init
  }
  model_->train();
  std::vector<torch::Tensor> decay, no_decay;
  for (auto& p : model_->parameters()) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  const auto opts = torch::optim::AdamWOptions(config.lr).betas({0.9, 0.98}).eps(1e-6);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay,
                      std::make_unique<torch::optim::AdamWOptions>(
                          torch::optim::AdamWOptions(opts).weight_decay(config.weight_decay)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(opts).weight_decay(0)));
  optimizer_ = std::make_unique<torch::optim::AdamW>(std::move(groups), opts);
}

ClipStepStats ClipTrainer::step() {
  torch::manual_seed(mix_seed(seed_, 0x2000000 + static_cast<std::uint64_t>(step_)));
  const ClipBatch batch = make_clip_batch(config_, seed_, step_);
  std::vector<std::string> captions;
  for (const auto& t : batch.texts) captions.push_back(t.caption);
  const auto tokens =
      text::tokenize_tensor(tokenizer_, captions, static_cast<int>(config_.model.context_length));

  const double warm =
      std::min(1.0, static_cast<double>(step_ + 1) / std::max<int64_t>(1, config_.warmup_steps));
  set_learning_rate(*optimizer_, config_.lr * warm);
  optimizer_->zero_grad();
  namespace F = torch::nn::functional;
  const auto img =
      F::normalize(model_->encode_image(batch.images), F::NormalizeFuncOptions().dim(-1));
  const auto txt = F::normalize(model_->encode_text(tokens), F::NormalizeFuncOptions().dim(-1));
  const auto logits = model_->logit_scale().exp() * img.matmul(txt.t());  // [B, T]

  const auto& targets = batch.targets;
  const auto per_image =
      -(targets / targets.sum(1, true) * torch::log_softmax(logits, 1)).sum(1).mean();
  const auto has_image = targets.sum(0) > 0;  // hard negatives have no image
  const auto t_logits = logits.t().index({has_image});
  const auto t_targets = targets.t().index({has_image});
  const auto per_text =
      -(t_targets / t_targets.sum(1, true) * torch::log_softmax(t_logits, 1)).sum(1).mean();
  const auto loss = (per_image + per_text) / 2;
  if (!std::isfinite(loss.item<double>()))
    throw Error(ErrorKind::Backend, "CLIP loss is not finite at step " + std::to_string(step_));
  loss.backward();
  torch::nn::utils::clip_grad_norm_(model_->parameters(), 1.0);
  optimizer_->step();
  {
    torch::NoGradGuard no_grad;
    model_->logit_scale().clamp_(0.0, std::log(100.0));
  }
  ++step_;

  ClipStepStats stats;
  stats.loss = loss.item<double>();
  stats.logit_scale = model_->logit_scale().exp().item<double>();
  torch::NoGradGuard no_grad;
  const auto best = logits.argmax(1, true);
  stats.accuracy = targets.gather(1, best).mean().item<double>();
  // Shape: among the object texts of the image's own colour, is the best one true of it?
  int64_t objects = 0, right = 0;
  const auto l_cpu = logits.detach().contiguous();
  const auto l = l_cpu.accessor<float, 2>();
  for (int64_t i = 0; i < batch.images.size(0); ++i) {
    const TextMeaning& m = batch.image_meaning[i];
    if (m.kind != TextMeaning::Kind::Object) continue;
    int64_t arg = -1;
    float top = -1e30f;
    for (int64_t j = 0; j < static_cast<int64_t>(batch.texts.size()); ++j) {
      const TextMeaning& t = batch.texts[j];
      if (t.kind != TextMeaning::Kind::Object || t.colour != m.colour) continue;
      const float v = l[i][j];
      if (v > top) top = v, arg = j;
    }
    ++objects;
    if (arg >= 0 && is_true_of(m, batch.texts[arg])) ++right;
  }
  stats.shape_accuracy = objects ? static_cast<double>(right) / objects : 0.0;
  return stats;
}

std::vector<io::NamedTensor> ClipTrainer::state_tensors() {
  auto out = module_tensors(*model_, "clip.");
  auto adam = adamw_state_tensors(*optimizer_, *model_, "clip_adam.");
  out.insert(out.end(), adam.begin(), adam.end());
  return out;
}

void ClipTrainer::load_state(const io::TensorFile& file, int64_t step) {
  load_module_tensors(*model_, file, "clip.");
  load_adamw_state(*optimizer_, *model_, file, "clip_adam.", step);
  step_ = step;
}

}  // namespace bd::toyworld
