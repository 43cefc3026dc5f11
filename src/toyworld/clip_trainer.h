#pragma once
// Trains the ToyWorld CLIP contrastively (symmetric cross-entropy, learned temperature)
// on the views Blended Diffusion shows it: masked regions over neutral grey through the
// engine's ClipAugmenter and CLIP normalisation (guidance), masked regions over black in
// [0, 1] without normalisation (ranking), and whole scenes with their captions. Each
// masked object brings hard-negative texts of the same colour and another shape.
#include <torch/optim/adamw.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/tensor_file.h"
#include "nn/clip.h"
#include "text/clip_tokenizer.h"
#include "toyworld/scene.h"

namespace bd::toyworld {

struct ClipTrainConfig {
  nn::ClipConfig model;
  int64_t batch = 128;
  double lr = 5e-4;
  double weight_decay = 0.1;
  int64_t warmup_steps = 200;
  // Shares of the batch; the rest are whole scenes with their captions.
  double guidance_share = 0.5, ranking_share = 0.3, empty_share = 0.08;
};

// What a text says, so that every text true of an image counts as its positive.
struct TextMeaning {
  enum class Kind { Object, Region, Scene } kind = Kind::Object;
  Colour colour = Colour::Red;
  Shape shape = Shape::Circle;
  int size = -1;        // Size index, -1 when the text names none
  std::string caption;  // Region and Scene texts match by their exact caption
};

struct ClipBatch {
  torch::Tensor images;                    // [B, 3, R, R], exactly as CLIP gets them in the engine
  std::vector<TextMeaning> image_meaning;  // what each image shows (size always set)
  std::vector<TextMeaning> texts;          // distinct captions and hard negatives
  torch::Tensor targets;                   // [B, T] 1 where text j is true of image i
};

ClipBatch make_clip_batch(const ClipTrainConfig& config, std::uint64_t run_seed, int64_t step);

struct ClipStepStats {
  double loss = 0;
  double accuracy = 0;        // images whose best text is true of them
  double shape_accuracy = 0;  // masked objects ranking their caption above the hard negatives
  double logit_scale = 0;
};

class ClipTrainer {
 public:
  ClipTrainer(const ClipTrainConfig& config, text::ClipTokenizer tokenizer, std::uint64_t seed);

  ClipStepStats step();
  int64_t steps_done() const { return step_; }
  nn::Clip& model() { return model_; }
  const ClipTrainConfig& config() const { return config_; }

  std::vector<io::NamedTensor> state_tensors();  // "clip." weights, "clip_adam." moments
  void load_state(const io::TensorFile& file, int64_t step);

 private:
  ClipTrainConfig config_;
  text::ClipTokenizer tokenizer_;
  std::uint64_t seed_;
  int64_t step_ = 0;
  nn::Clip model_{nullptr};
  std::unique_ptr<torch::optim::AdamW> optimizer_;
};

}  // namespace bd::toyworld
