// bd::Engine: a loaded pack plus the orchestration of one edit (reference-spec §2.3–2.8):
// prepare the region, encode the prompt, sample batch × iterations candidates, enforce
// the background, rank with CLIP, composite back at full resolution.
#include "bd/engine.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <chrono>
#include <map>

#include "bd/error.h"
#include "bd/gpu.h"
#include "bd/runtime.h"
#include "core/log.h"
#include "diffusion/gaussian_diffusion.h"
#include "editing/candidate_lanes.h"
#include "editing/guidance.h"
#include "editing/noise.h"
#include "editing/region.h"
#include "editing/tensor_image.h"
#include "nn/clip.h"
#include "nn/lpips.h"
#include "nn/unet.h"
#include "text/clip_tokenizer.h"
#include "text/token_tensor.h"

namespace bd {

using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Starts a new peak count on the device and returns the bytes in live tensors now.
std::uint64_t gpu_peak_baseline(const torch::Device& device) {
  const int index = device.has_index() ? device.index() : 0;
  reset_gpu_peak_memory(index);
  const auto m = gpu_memory(index);
  return m ? m->allocated_bytes : 0;
}

bool is_out_of_memory(const c10::Error& e) {
  const std::string what = e.what_without_backtrace();
  return what.find("out of memory") != std::string::npos || what.find("DefaultCPUAllocator") != std::string::npos;
}

}  // namespace

struct Engine::Impl {
  ModelPack pack;
  torch::Device device{torch::kCPU};
  Precision precision = Precision::Float32;
  int fixed_micro_batch = 0;                // EngineOptions::micro_batch
  // CPU: the intra-op threads this engine's edits use, fixed at load. Never read back
  // from LibTorch at edit time: its count is process-wide, and another engine's lanes
  // on another thread change it, which would make the lane layout (so the candidates'
  // rounding) depend on timing.
  int cpu_threads = 1;
  int64_t learned_micro_batch = 0;          // GPU: what the last batch's memory says fits; 0 = unknown
  nn::UNet unet{nullptr};
  nn::Clip clip{nullptr};
  nn::Lpips lpips{nullptr};  // only when the pack provides LPIPS weights
  std::unique_ptr<text::ClipTokenizer> tokenizer;
  std::map<std::string, std::unique_ptr<diffusion::GaussianDiffusion>> diffusions;  // by respacing

  const diffusion::GaussianDiffusion& diffusion_for(const std::string& respacing) {
    auto& slot = diffusions[respacing];
    if (!slot) {
      diffusion::DiffusionConfig config = pack.diffusion;
      config.timestep_respacing = respacing;
      slot = std::make_unique<diffusion::GaussianDiffusion>(diffusion::GaussianDiffusion::create(config));
    }
    return *slot;
  }

  EditResult run(const EditRequest& request);
  editing::LaneLayout lane_layout(int64_t batch) const;
  void learn_gpu_memory(const editing::CandidateLanes& lanes, std::uint64_t allocated_before);
  std::vector<double> prompt_distances(const Image& image, const Image& mask,
                                       const std::vector<std::string>& prompts, const EditParams& p);
};

namespace {

editing::RegionParams region_params_of(const EditParams& p) {
  editing::RegionParams r;
  r.invert = p.invert_mask;
  r.grow_px = p.grow_px;
  r.feather_px = p.feather_px;
  r.padding = p.padding;
  return r;
}

// The weight dtype a precision stands for on `device`; throws for fp16 on the CPU.
torch::ScalarType resolve_precision(Precision& precision, const torch::Device& device) {
  if (precision == Precision::Auto) precision = device.is_cuda() ? Precision::Float16 : Precision::Float32;
  switch (precision) {
    case Precision::Float16:
      if (!device.is_cuda())
        throw Error(ErrorKind::InvalidInput,
                    "precision fp16 needs a CUDA device (" + device.str() +
                        " has no fast fp16 convolutions): use bf16 on CPUs with AVX-512 BF16, or fp32");
      return torch::kFloat16;
    case Precision::BFloat16: return torch::kBFloat16;
    default: return torch::kFloat32;
  }
}

}  // namespace

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

const ModelPack& Engine::pack() const { return impl_->pack; }
std::string Engine::device() const { return impl_->device.str(); }
Precision Engine::precision() const { return impl_->precision; }

std::unique_ptr<Engine> Engine::load(const ModelPack& pack, const EngineOptions& options) {
  keep_freed_memory_for_reuse();
  auto impl = std::make_unique<Impl>();
  impl->cpu_threads = options.threads >= 0 ? set_threads(options.threads) : at::get_num_threads();
  impl->pack = pack;
  impl->device = torch::Device(resolve_device(options.device));
  impl->precision = options.precision;
  const torch::ScalarType weight_dtype = resolve_precision(impl->precision, impl->device);
  impl->fixed_micro_batch = options.micro_batch;
  if (impl->device.is_cuda() && options.gpu_memory_limit > 0 &&
      !limit_gpu_memory(impl->device.has_index() ? impl->device.index() : 0, options.gpu_memory_limit))
    throw Error(ErrorKind::Backend, "could not cap the GPU memory of " + impl->device.str());
  if (pack.method != PackMethod::Blended)
    throw Error(ErrorKind::ModelFiles, "model pack " + pack.dir + " uses the method '" +
                                           method_name(pack.method) +
                                           "', which this version cannot run (it runs '" +
                                           method_name(PackMethod::Blended) + "')");

  std::vector<std::string> problems;
  for (const PackCheck& c : verify_model_pack(pack, /*hash_files=*/false))
    if (!c.ok) problems.push_back(c.role + " (" + c.path + "): " + c.problem);
  if (!problems.empty()) {
    std::string msg = "model pack " + pack.dir + " is incomplete:";
    for (const auto& p : problems) msg += "\n  - " + p;
    throw Error(ErrorKind::ModelFiles, msg);
  }
  const auto t0 = Clock::now();
  nn::UNetLoadOptions unet_options;
  unet_options.torso_dtype = weight_dtype;
  if (pack.unet_args) unet_options.unobservable = nn::unet_config_from_args(*pack.unet_args);
  impl->unet = nn::load_unet(pack.unet.path, impl->device, unet_options);
  nn::ClipLoadOptions clip_options;
  clip_options.weight_dtype = weight_dtype;
  // Shapes cannot tell the text tower's head count; the manifest can.
  if (pack.clip_config)
    clip_options.text_head_width =
        pack.clip_config->transformer_width / pack.clip_config->transformer_heads;
  impl->clip = nn::load_clip(pack.clip.path, impl->device, clip_options);
  if (!pack.lpips.empty()) {
    std::vector<std::string> paths;
    for (const PackFile& f : pack.lpips) paths.push_back(f.path);
    impl->lpips = nn::load_lpips(paths, impl->device);
  }
  try {
    impl->tokenizer = std::make_unique<text::ClipTokenizer>(text::ClipTokenizer::from_file(pack.tokenizer.path));
  } catch (const Error& e) {
    throw e.with_context("loading the tokenizer of pack " + pack.dir);
  }
  log::editing()->info("loaded pack '{}' on {} ({}) in {:.1f} s", pack.name, impl->device.str(),
                       precision_name(impl->precision), seconds_since(t0));
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

EditResult Engine::edit(const EditRequest& request) {
  try {
    return impl_->run(request);
  } catch (const Error&) {
    throw;
  } catch (const c10::Error& e) {
    if (is_out_of_memory(e))
      throw Error(ErrorKind::OutOfMemory, std::string("out of memory during the edit: lower the batch size or "
                                                      "use a smaller image region (") + e.what_without_backtrace() + ")");
    throw Error(ErrorKind::Backend, std::string("LibTorch failed during the edit: ") + e.what_without_backtrace());
  } catch (const std::bad_alloc&) {
    throw Error(ErrorKind::OutOfMemory, "out of memory during the edit: lower the batch size");
  }
}

std::vector<double> Engine::prompt_distances(const Image& image, const Image& mask,
                                             const std::vector<std::string>& prompts, const EditParams& params) {
  try {
    return impl_->prompt_distances(image, mask, prompts, params);
  } catch (const c10::Error& e) {
    throw Error(ErrorKind::Backend, std::string("LibTorch failed scoring prompts: ") + e.what_without_backtrace());
  }
}

// On the CPU, one lane of candidates per thread (see candidate_lanes.h). On a GPU, lanes
// are micro-batches one after another: as many candidates as fitted so far, or as the
// memory the first steps used says will fit, or the whole batch while nothing is known.
editing::LaneLayout Engine::Impl::lane_layout(int64_t batch) const {
  editing::LaneLayout layout;
  if (device.is_cpu()) {
    layout.lanes = static_cast<int>(std::min<int64_t>(batch, cpu_threads));
    layout.threads_per_lane = cpu_threads / std::max(1, layout.lanes);
    return layout;
  }
  layout.parallel = false;
  int64_t micro = batch;
  if (fixed_micro_batch > 0) {
    micro = fixed_micro_batch;
  } else if (learned_micro_batch > 0) {
    micro = learned_micro_batch;
  }
  micro = std::clamp<int64_t>(micro, 1, batch);
  layout.lanes = static_cast<int>((batch + micro - 1) / micro);
  return layout;
}

// After the first step of a batch on a GPU: what one candidate costs, and so how many fit
// in what the card (or the cap) leaves besides the weights. A 10 % margin covers the
// allocator's fragmentation.
void Engine::Impl::learn_gpu_memory(const editing::CandidateLanes& lanes, std::uint64_t allocated_before) {
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
  learned_micro_batch = lanes.memory_notes().empty() ? fits : std::min(fits, micro);
  log::editing()->info("GPU memory: {:.0f} MB per candidate, {} candidate(s) at a time fit", bytes_per_candidate / 1e6,
                       learned_micro_batch);
}

std::vector<double> Engine::Impl::prompt_distances(const Image& image, const Image& mask,
                                                   const std::vector<std::string>& prompts, const EditParams& p) {
  if (prompts.empty()) return {};
  const editing::PreparedRegion region = editing::prepare_region(image, mask, pack.image_size, region_params_of(p));
  torch::NoGradGuard no_grad;
  const auto tokens = tokenizer->tokenize(prompts, pack.context_length);
  const torch::Tensor text = clip->encode_text(text::to_tensor(tokens).to(device)).to(torch::kFloat32);  // [P, E]
  const torch::Tensor rgb01 = editing::to_model_tensor(region.model_rgb).to(device).add(1).div(2);
  const torch::Tensor m = editing::to_model_tensor(region.model_mask).to(device);
  const torch::Tensor image_embed = editing::ranking_embedding(clip, rgb01, m);  // [1, E]
  const torch::Tensor d = editing::spherical_distance(text, image_embed).to(torch::kFloat64).cpu().contiguous();
  return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

EditResult Engine::Impl::run(const EditRequest& request) {
  const auto t_start = Clock::now();
  const EditParams& p = request.params;
  if (const std::string problem = validate(p); !problem.empty()) throw Error(ErrorKind::InvalidInput, problem);
  EditResult result;
  if (p.local_mode && p.lpips_lambda != 0.0 && !lpips) {
    const std::string message =
        "model pack '" + pack.name + "' has no LPIPS weights, so the local baseline runs without its LPIPS "
        "term (lpips_lambda " + std::to_string(p.lpips_lambda) + " is ignored; the L2 background loss still "
        "applies). To use it, add to its pack.json \"lpips\": {\"files\": [{\"file\": \"vgg16-397923af.pth\"}, "
        "{\"file\": \"vgg.pth\"}]} (torchvision's VGG16 and lpips' weights/v0.1/vgg.pth), or one safetensors "
        "holding both";
    log::editing()->warn("{}", message);
    result.warnings.push_back(message);
  }

  // 1. Region at model size.
  const int size = pack.image_size;
  const editing::PreparedRegion region =
      editing::prepare_region(request.image, request.mask, size, region_params_of(p));
  const torch::Tensor init = editing::to_model_tensor(region.model_rgb).to(device);     // [1, 3, S, S]
  const torch::Tensor mask = editing::to_model_tensor(region.model_mask).to(device);    // [1, 1, S, S]
  const auto& diffusion = diffusion_for(p.timestep_respacing);
  if (p.skip_timesteps >= diffusion.num_timesteps())
    throw Error(ErrorKind::InvalidInput, "skip_timesteps must be below the " + std::to_string(diffusion.num_timesteps()) +
                                             " respaced steps of \"" + p.timestep_respacing + "\", got " +
                                             std::to_string(p.skip_timesteps));

  // 2. Prompt, once. The empty prompt is encoded too: ranking still needs an embedding.
  const auto tokens = tokenizer->tokenize({request.prompt}, pack.context_length);
  if (tokens.truncated[0]) result.warnings.push_back("the prompt is too long for CLIP and was cut after " +
                                                     std::to_string(tokens.context_length - 2) + " tokens");
  torch::Tensor text_embed;
  {
    torch::NoGradGuard no_grad;
    text_embed = clip->encode_text(text::to_tensor(tokens).to(device)).to(torch::kFloat32);
  }
  const bool has_prompt = !request.prompt.empty();
  result.timings.prepare_s = seconds_since(t_start);

  // 3. Sample.
  editing::SamplerSettings settings;
  settings.ddim = p.ddim;
  settings.skip_timesteps = p.skip_timesteps;
  settings.blend_background = !p.local_mode;
  settings.clip_lambda = has_prompt ? p.clip_lambda : 0.0;
  settings.range_lambda = has_prompt ? p.range_lambda : 0.0;
  settings.l2_lambda = p.local_mode ? p.l2_lambda : 0.0;
  settings.lpips_lambda = p.local_mode && lpips ? p.lpips_lambda : 0.0;
  settings.lpips = lpips;
  settings.shared_background_noise = p.fidelity == FidelityMode::Reference;
  settings.reference_unscale = p.fidelity == FidelityMode::Reference;
  editing::AugmentSettings aug;
  aug.clip_size = static_cast<int>(clip->config().image_resolution);
  aug.views = p.aug_num;
  aug.random = p.random_augmentations;

  editing::LaneInputs lane_inputs;
  lane_inputs.unet = unet;
  lane_inputs.diffusion = &diffusion;
  if (has_prompt) lane_inputs.clip = clip;
  lane_inputs.text_embed = text_embed;
  lane_inputs.augment = aug;
  lane_inputs.sampler = settings;

  const int64_t batch = p.batch_size;
  const int64_t steps_per_iteration = diffusion.num_timesteps() - p.skip_timesteps;
  const int total_steps = static_cast<int>(steps_per_iteration * p.iterations);
  const auto t_sampling = Clock::now();
  int done_steps = 0;
  for (int it = 0; it < p.iterations; ++it) {
    std::vector<std::uint64_t> seeds;
    for (int64_t b = 0; b < batch; ++b) seeds.push_back(p.seed + static_cast<std::uint64_t>(it * batch + b));
    std::optional<std::uint64_t> shared_noise_seed;
    if (p.fidelity == FidelityMode::Reference) shared_noise_seed = p.seed + it;
    // This thread's team size may be whatever another engine last set (see cpu_threads).
    if (device.is_cpu()) at::set_num_threads(cpu_threads);
    editing::CandidateLanes sampler(lane_inputs, seeds, shared_noise_seed, lane_layout(batch));
    const std::uint64_t allocated_before = device.is_cuda() ? gpu_peak_baseline(device) : 0;

    const auto t_batch = Clock::now();
    sampler.start(init);
    for (int64_t index = sampler.first_index(); index >= 0; --index) {
      if (request.callbacks.cancel && request.callbacks.cancel->load()) {
        result.status = EditStatus::Cancelled;
        break;
      }
      sampler.step(index, init, mask);
      if (device.is_cuda() && index == sampler.first_index()) learn_gpu_memory(sampler, allocated_before);
      ++done_steps;
      const double elapsed = seconds_since(t_sampling);
      if (request.callbacks.on_step) {
        StepInfo info;
        info.step = done_steps;
        info.total = total_steps;
        info.iteration = it;
        info.elapsed_s = elapsed;
        info.eta_s = elapsed / done_steps * (total_steps - done_steps);
        request.callbacks.on_step(info);
      }
      const int64_t step_in_iteration = sampler.first_index() - index;
      if (request.callbacks.on_preview && p.preview_every > 0 && index > 0 &&
          step_in_iteration % p.preview_every == 0) {
        torch::NoGradGuard no_grad;
        auto preview = (init * (1 - mask) + sampler.pred_xstart()[0].unsqueeze(0) * mask).clamp(-1, 1);
        Preview shown;
        shown.step = done_steps;
        shown.x = region.box.x;
        shown.y = region.box.y;
        shown.patch = editing::composite_box(request.image, region, editing::to_model_mat(preview.cpu()));
        request.callbacks.on_preview(shown);
      }
    }
    for (const std::string& note : sampler.memory_notes()) result.warnings.push_back(note);
    if (result.status == EditStatus::Cancelled) break;

    // 4. Finish the batch: enforce the background, score, composite.
    torch::NoGradGuard no_grad;
    const torch::Tensor pred = sampler.pred_xstart();
    torch::Tensor final_pred = (p.enforce_background && !p.local_mode) ? init * (1 - mask) + pred * mask : pred;
    const torch::Tensor scores = editing::ranking_distance(clip, text_embed, final_pred.add(1).div(2).clamp(0, 1), mask).cpu();
    const double batch_seconds = seconds_since(t_batch);
    for (int64_t b = 0; b < batch; ++b) {
      Candidate c;
      c.image = editing::composite_region(request.image, region, editing::to_model_mat(final_pred[b].unsqueeze(0).clamp(-1, 1).cpu()));
      c.score = scores[b].item<double>();
      c.seed = seeds[b];
      c.iteration = it;
      c.index = static_cast<int>(b);
      c.seconds = batch_seconds;
      if (request.callbacks.on_candidate) request.callbacks.on_candidate(c);
      result.candidates.push_back(std::move(c));
    }
  }
  std::stable_sort(result.candidates.begin(), result.candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.score < b.score; });
  result.timings.sampling_s = seconds_since(t_sampling);
  result.timings.per_step_s = done_steps ? result.timings.sampling_s / done_steps : 0.0;
  result.timings.total_s = seconds_since(t_start);
  return result;
}

}  // namespace bd
