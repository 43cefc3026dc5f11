#include "editing/blended_diffusion_method.h"

#include <torch/torch.h>

#include <algorithm>

#include "bd/error.h"
#include "bd/gpu.h"
#include "core/log.h"

namespace bd::editing {

namespace {

// Starts a new peak count on the device and returns the bytes in live tensors now.
std::uint64_t gpu_peak_baseline(const torch::Device& device) {
  const int index = device.has_index() ? device.index() : 0;
  reset_gpu_peak_memory(index);
  const auto m = gpu_memory(index);
  return m ? m->allocated_bytes : 0;
}

}  // namespace

BlendedDiffusionMethod::BlendedDiffusionMethod(BlendedDiffusionModels models, LaneBudget budget)
    : models_(std::move(models)), budget_(budget) {}

const diffusion::GaussianDiffusion& BlendedDiffusionMethod::diffusion_for(const std::string& respacing) {
  auto& slot = diffusions_[respacing];
  if (!slot) {
    diffusion::DiffusionConfig config = models_.diffusion;
    config.timestep_respacing = respacing;
    slot = std::make_unique<diffusion::GaussianDiffusion>(diffusion::GaussianDiffusion::create(config));
  }
  return *slot;
}

int64_t BlendedDiffusionMethod::steps_per_batch(const EditParams& p) {
  const int64_t steps = diffusion_for(p.timestep_respacing).num_timesteps();
  if (p.skip_timesteps >= steps)
    throw Error(ErrorKind::InvalidInput, "skip_timesteps must be below the " + std::to_string(steps) +
                                             " respaced steps of \"" + p.timestep_respacing + "\", got " +
                                             std::to_string(p.skip_timesteps));
  return steps - p.skip_timesteps;
}

void BlendedDiffusionMethod::encode(const EncodedPrompt& prompt, const EditParams& p,
                                    std::vector<std::string>& warnings) {
  text_embed_ = prompt.clip_embed;
  has_prompt_ = !prompt.text.empty();
  if (p.local_mode && p.lpips_lambda != 0.0 && !models_.lpips) {
    const std::string message =
        "model pack '" + models_.pack_name + "' has no LPIPS weights, so the local baseline runs without its LPIPS "
        "term (lpips_lambda " + std::to_string(p.lpips_lambda) + " is ignored; the L2 background loss still "
        "applies). To use it, add to its pack.json \"lpips\": {\"files\": [{\"file\": \"vgg16-397923af.pth\"}, "
        "{\"file\": \"vgg.pth\"}]} (torchvision's VGG16 and lpips' weights/v0.1/vgg.pth), or one safetensors "
        "holding both";
    log::editing()->warn("{}", message);
    warnings.push_back(message);
  }
}

bool BlendedDiffusionMethod::pastes_background(const EditParams& p) const {
  return p.enforce_background && !p.local_mode;
}

LaneInputs BlendedDiffusionMethod::lane_inputs(const EditParams& p, const diffusion::GaussianDiffusion& diffusion) const {
  SamplerSettings settings;
  settings.ddim = p.ddim;
  settings.skip_timesteps = p.skip_timesteps;
  settings.blend_background = !p.local_mode;
  settings.clip_lambda = has_prompt_ ? p.clip_lambda : 0.0;
  settings.range_lambda = has_prompt_ ? p.range_lambda : 0.0;
  settings.l2_lambda = p.local_mode ? p.l2_lambda : 0.0;
  settings.lpips_lambda = p.local_mode && models_.lpips ? p.lpips_lambda : 0.0;
  settings.lpips = models_.lpips;
  settings.shared_background_noise = p.fidelity == FidelityMode::Reference;
  settings.reference_unscale = p.fidelity == FidelityMode::Reference;
  LaneInputs in;
  in.unet = models_.unet;
  in.diffusion = &diffusion;
  if (has_prompt_) in.clip = models_.clip;
  in.text_embed = text_embed_;
  in.augment.clip_size = static_cast<int>(models_.clip->config().image_resolution);
  in.augment.views = p.aug_num;
  in.augment.random = p.random_augmentations;
  in.sampler = settings;
  return in;
}

torch::Tensor BlendedDiffusionMethod::sample(const PreparedEdit& edit, const EditParams& p, const BatchPlan& plan,
                                             StepObserver& observer, std::vector<std::string>& warnings) {
  const auto& diffusion = diffusion_for(p.timestep_respacing);
  const int64_t batch = static_cast<int64_t>(plan.seeds.size());
  CandidateLanes lanes(lane_inputs(p, diffusion), plan.seeds, plan.shared_noise_seed, lane_layout(batch), &pool_);
  const std::uint64_t allocated_before = budget_.device.is_cuda() ? gpu_peak_baseline(budget_.device) : 0;
  lanes.start(edit.image);
  const int64_t first = lanes.first_index();
  bool cancelled = false;
  for (int64_t index = first; index >= 0; --index) {
    if (observer.cancelled()) {
      cancelled = true;
      break;
    }
    lanes.step(index, edit.image, edit.mask);
    if (budget_.device.is_cuda() && index == first) learn_gpu_memory(lanes, allocated_before);
    observer.step_done(first - index, first + 1, [&lanes] { return lanes.pred_xstart(); });
  }
  for (const std::string& note : lanes.memory_notes()) warnings.push_back(note);
  return cancelled ? torch::Tensor() : lanes.pred_xstart();
}

// On the CPU, one lane of candidates per thread (see candidate_lanes.h). On a GPU, lanes
// are micro-batches one after another: as many candidates as fitted so far, or as the
// memory the first steps used says will fit, or the whole batch while nothing is known.
LaneLayout BlendedDiffusionMethod::lane_layout(int64_t batch) const {
  LaneLayout layout;
  if (budget_.device.is_cpu()) {
    layout.lanes = static_cast<int>(std::min<int64_t>(batch, budget_.cpu_threads));
    layout.threads_per_lane = budget_.cpu_threads / std::max(1, layout.lanes);
    return layout;
  }
  layout.parallel = false;
  int64_t micro = batch;
  if (budget_.fixed_micro_batch > 0) {
    micro = budget_.fixed_micro_batch;
  } else if (learned_micro_batch_ > 0) {
    micro = learned_micro_batch_;
  }
  micro = std::clamp<int64_t>(micro, 1, batch);
  layout.lanes = static_cast<int>((batch + micro - 1) / micro);
  return layout;
}

// After the first step of a batch on a GPU: what one candidate costs, and so how many fit
// in what the card (or the cap) leaves besides the weights. A 10 % margin covers the
// allocator's fragmentation.
void BlendedDiffusionMethod::learn_gpu_memory(const CandidateLanes& lanes, std::uint64_t allocated_before) {
  const torch::Device& device = budget_.device;
  const int index = device.has_index() ? device.index() : 0;
  const auto m = gpu_memory(index);
  const int64_t micro = lanes.micro_batch();
  if (!m || micro <= 0 || m->peak_allocated_bytes <= allocated_before) return;
  const double bytes_per_candidate = static_cast<double>(m->peak_allocated_bytes - allocated_before) / micro;
  const std::uint64_t card = m->limit_bytes > 0 ? std::min(m->limit_bytes, m->total_bytes) : m->total_bytes;
  const std::uint64_t usable_now = std::min<std::uint64_t>(card, m->free_bytes + m->reserved_bytes);
  const double room = 0.9 * static_cast<double>(usable_now > allocated_before ? usable_now - allocated_before : 0);
  const int64_t fits = std::max<int64_t>(1, static_cast<int64_t>(room / bytes_per_candidate));
  // Never above what already failed in this batch.
  learned_micro_batch_ = lanes.memory_notes().empty() ? fits : std::min(fits, micro);
  log::editing()->info("GPU memory: {:.0f} MB per candidate, {} candidate(s) at a time fit", bytes_per_candidate / 1e6,
                       learned_micro_batch_);
}

}  // namespace bd::editing
