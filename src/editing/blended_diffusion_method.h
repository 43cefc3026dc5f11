#pragma once
// Blended Diffusion (Avrahami, Lischinski, Fried, CVPR 2022) as an EditMethod: the ADM
// UNet in pixel space, CLIP guidance on the masked region over augmented views, the
// background blended back from the noised original at every step (reference-spec §2).
// Candidates run as lanes (candidate_lanes.h): threads on the CPU, micro-batches sized
// to the GPU's memory.
#include <map>
#include <memory>

#include "diffusion/gaussian_diffusion.h"
#include "editing/candidate_lanes.h"
#include "editing/edit_method.h"
#include "nn/clip.h"
#include "nn/lpips.h"
#include "nn/unet.h"

namespace bd::editing {

struct BlendedDiffusionModels {
  nn::UNet unet{nullptr};
  nn::Clip clip{nullptr};
  nn::Lpips lpips{nullptr};  // only when the pack provides LPIPS weights
  diffusion::DiffusionConfig diffusion;  // the training schedule; respaced per edit
  std::string pack_name;     // for messages
};

struct LaneBudget {
  torch::Device device{torch::kCPU};
  // CPU: lanes × threads per lane. Fixed when the engine loads, never read back from
  // LibTorch: its count is process-wide, and another engine on another thread could
  // change it, and with it the lane layout and so the candidates' rounding.
  int cpu_threads = 1;
  int fixed_micro_batch = 0;  // GPU: candidates at once; 0 = learn it from memory use
};

class BlendedDiffusionMethod : public EditMethod {
 public:
  BlendedDiffusionMethod(BlendedDiffusionModels models, LaneBudget budget);

  int64_t steps_per_batch(const EditParams& params) override;
  void encode(const EncodedPrompt& prompt, const EditParams& params, std::vector<std::string>& warnings) override;
  torch::Tensor sample(const PreparedEdit& edit, const EditParams& params, const BatchPlan& plan,
                       StepObserver& observer, std::vector<std::string>& warnings) override;
  bool pastes_background(const EditParams& params) const override;

 private:
  const diffusion::GaussianDiffusion& diffusion_for(const std::string& respacing);
  LaneInputs lane_inputs(const EditParams& params, const diffusion::GaussianDiffusion& diffusion) const;
  LaneLayout lane_layout(int64_t batch) const;
  void learn_gpu_memory(const CandidateLanes& lanes, std::uint64_t allocated_before);

  BlendedDiffusionModels models_;
  LaneBudget budget_;
  LanePool pool_;                     // CPU: the lanes' threads, for the engine's life
  int64_t learned_micro_batch_ = 0;  // GPU: what the last batch's memory says fits; 0 = unknown
  std::map<std::string, std::unique_ptr<diffusion::GaussianDiffusion>> diffusions_;  // by respacing
  torch::Tensor text_embed_;
  bool has_prompt_ = false;
};

}  // namespace bd::editing
