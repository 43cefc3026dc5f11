#pragma once
// The stages of one edit that every method shares (ARCHITECTURE.md, "one edit, as
// data"): 1. prepare the region, 2. encode the prompt for ranking, 3. report steps and
// previews while the method samples, 4. finish each batch into ranked, composited
// candidates. Engine::Impl::run strings them together around an EditMethod.
#include <torch/types.h>

#include <chrono>
#include <vector>

#include "bd/engine.h"
#include "editing/edit_method.h"
#include "nn/clip.h"
#include "text/clip_tokenizer.h"

namespace bd::editing {

// 1. The mask's context box at model size, on `device`.
PreparedEdit prepare_edit(const Image& image, const Image& mask, const EditParams& params, int model_size,
                          const torch::Device& device);
RegionParams region_params_of(const EditParams& params);

// 2. The prompt through CLIP's text tower, once per edit. The empty prompt is encoded
// too: ranking still needs an embedding. A prompt cut to fit is a warning.
EncodedPrompt encode_prompt(const std::string& prompt, const text::ClipTokenizer& tokenizer, int context_length,
                            nn::Clip& clip, const torch::Device& device, std::vector<std::string>& warnings);

// The candidates of run `iteration`: seeds seed + iteration·batch + b.
BatchPlan plan_batch(const EditParams& params, int iteration);

// 3. The request's callbacks as a method sees them: cancel, on_step over the whole edit,
// and a preview of the first candidate blended into the original every preview_every
// steps (never at a batch's last step: its candidates follow at once).
class EditProgress : public StepObserver {
 public:
  EditProgress(const EditRequest& request, const PreparedEdit& edit, int total_steps);
  void start_batch(int iteration) { iteration_ = iteration; }
  bool cancelled() const override;
  void step_done(int64_t step_in_batch, int64_t steps_in_batch,
                 const std::function<torch::Tensor()>& pred_xstart) override;
  int done_steps() const { return done_; }
  double sampling_seconds() const;

 private:
  const EditRequest& request_;
  const PreparedEdit& edit_;
  int total_ = 0;
  int done_ = 0;
  int iteration_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// 4. One batch's x̂₀ [B, 3, S, S] to candidates: the original background pasted back when
// the method says so, scored by CLIP on the masked result, composited at full
// resolution. Each goes to on_candidate when set; then the result keeps its score and
// seed but not its pixels (they were handed over once, not kept twice).
void finish_batch(const EditRequest& request, const PreparedEdit& edit, const torch::Tensor& pred_xstart,
                  const BatchPlan& plan, bool paste_background, nn::Clip& clip, const torch::Tensor& text_embed,
                  double seconds, std::vector<Candidate>& out);

}  // namespace bd::editing
