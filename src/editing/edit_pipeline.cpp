#include "editing/edit_pipeline.h"

#include <torch/torch.h>

#include "editing/blend.h"
#include "editing/ranking.h"
#include "editing/tensor_image.h"
#include "text/token_tensor.h"

namespace bd::editing {

RegionParams region_params_of(const EditParams& p) {
  RegionParams r;
  r.invert = p.invert_mask;
  r.grow_px = p.grow_px;
  r.feather_px = p.feather_px;
  r.padding = p.padding;
  return r;
}

PreparedEdit prepare_edit(const Image& image, const Image& mask, const EditParams& params, int model_size,
                          const torch::Device& device) {
  PreparedEdit e;
  e.region = prepare_region(image, mask, model_size, region_params_of(params));
  e.image = to_model_tensor(e.region.model_rgb).to(device);  // [1, 3, S, S]
  e.mask = to_model_tensor(e.region.model_mask).to(device);  // [1, 1, S, S]
  return e;
}

EncodedPrompt encode_prompt(const std::string& prompt, const text::ClipTokenizer& tokenizer, int context_length,
                            nn::Clip& clip, const torch::Device& device, std::vector<std::string>& warnings) {
  const auto tokens = tokenizer.tokenize({prompt}, context_length);
  if (tokens.truncated[0])
    warnings.push_back("the prompt is too long for CLIP and was cut after " +
                       std::to_string(tokens.context_length - 2) + " tokens");
  torch::NoGradGuard no_grad;
  EncodedPrompt e;
  e.text = prompt;
  e.clip_embed = clip->encode_text(text::to_tensor(tokens).to(device)).to(torch::kFloat32);
  return e;
}

BatchPlan plan_batch(const EditParams& p, int iteration) {
  BatchPlan plan;
  plan.iteration = iteration;
  const auto batch = static_cast<std::uint64_t>(p.batch_size);
  for (std::uint64_t b = 0; b < batch; ++b) plan.seeds.push_back(p.seed + static_cast<std::uint64_t>(iteration) * batch + b);
  if (p.fidelity == FidelityMode::Reference) plan.shared_noise_seed = p.seed + static_cast<std::uint64_t>(iteration);
  return plan;
}

EditProgress::EditProgress(const EditRequest& request, const PreparedEdit& edit, int total_steps)
    : request_(request), edit_(edit), total_(total_steps) {}

bool EditProgress::cancelled() const { return request_.callbacks.cancel && request_.callbacks.cancel->load(); }

double EditProgress::sampling_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

void EditProgress::step_done(int64_t step_in_batch, int64_t steps_in_batch,
                             const std::function<torch::Tensor()>& pred_xstart) {
  ++done_;
  const EditCallbacks& cb = request_.callbacks;
  if (cb.on_step) {
    StepInfo info;
    info.step = done_;
    info.total = total_;
    info.iteration = iteration_;
    info.elapsed_s = sampling_seconds();
    info.eta_s = info.elapsed_s / done_ * (total_ - done_);
    cb.on_step(info);
  }
  const int every = request_.params.preview_every;
  if (!cb.on_preview || every <= 0 || step_in_batch + 1 >= steps_in_batch || step_in_batch % every != 0) return;
  torch::NoGradGuard no_grad;
  const torch::Tensor preview = blend(pred_xstart()[0].unsqueeze(0), edit_.image, edit_.mask).clamp(-1, 1);
  Preview shown;
  shown.step = done_;
  shown.x = edit_.region.box.x;
  shown.y = edit_.region.box.y;
  shown.patch = composite_box(request_.image, edit_.region, to_model_mat(preview.cpu()));
  cb.on_preview(shown);
}

void finish_batch(const EditRequest& request, const PreparedEdit& edit, const torch::Tensor& pred_xstart,
                  const BatchPlan& plan, bool paste_background, nn::Clip& clip, const torch::Tensor& text_embed,
                  double seconds, std::vector<Candidate>& out) {
  torch::NoGradGuard no_grad;
  const torch::Tensor final_pred = paste_background ? blend(pred_xstart, edit.image, edit.mask) : pred_xstart;
  const torch::Tensor scores =
      ranking_distance(clip, text_embed, final_pred.add(1).div(2).clamp(0, 1), edit.mask).cpu().contiguous();
  const torch::Tensor images = final_pred.clamp(-1, 1).cpu();
  for (std::size_t b = 0; b < plan.seeds.size(); ++b) {
    Candidate c;
    c.image = composite_region(request.image, edit.region, to_model_mat(images[static_cast<int64_t>(b)].unsqueeze(0)));
    c.score = scores.data_ptr<double>()[b];
    c.seed = plan.seeds[b];
    c.iteration = plan.iteration;
    c.index = static_cast<int>(b);
    c.seconds = seconds;
    if (request.callbacks.on_candidate) {
      request.callbacks.on_candidate(c);
      c.image = Image{};
    }
    out.push_back(std::move(c));
  }
}

}  // namespace bd::editing
