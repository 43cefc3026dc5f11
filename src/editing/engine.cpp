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
#include "editing/blended_diffusion_method.h"
#include "editing/edit_pipeline.h"
#include "editing/guidance.h"
#include "editing/ranking.h"
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

bool is_out_of_memory(const c10::Error& e) {
  const std::string what = e.what_without_backtrace();
  return what.find("out of memory") != std::string::npos || what.find("DefaultCPUAllocator") != std::string::npos;
}

}  // namespace

struct Engine::Impl {
  ModelPack pack;
  torch::Device device{torch::kCPU};
  Precision precision = Precision::Float32;
  nn::Clip clip{nullptr};  // ranks the candidates of every method
  std::unique_ptr<text::ClipTokenizer> tokenizer;
  std::unique_ptr<editing::EditMethod> method;

  EditResult run(const EditRequest& request);
  std::vector<double> prompt_distances(const Image& image, const Image& mask,
                                       const std::vector<std::string>& prompts, const EditParams& p);
};

namespace {

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
  auto impl = std::make_unique<Impl>();
  editing::LaneBudget budget;
  budget.cpu_threads = options.threads > 0    ? options.threads
                       : options.threads == 0 ? hardware_threads()
                                              : at::get_num_threads();
  budget.fixed_micro_batch = options.micro_batch;
  impl->pack = pack;
  impl->device = torch::Device(resolve_device(options.device));
  impl->precision = options.precision;
  const torch::ScalarType weight_dtype = resolve_precision(impl->precision, impl->device);
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
  editing::BlendedDiffusionModels models;
  models.pack_name = pack.name;
  models.diffusion = pack.diffusion;
  models.unet = nn::load_unet(pack.unet.path, impl->device, unet_options);
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
    models.lpips = nn::load_lpips(paths, impl->device);
  }
  try {
    impl->tokenizer = std::make_unique<text::ClipTokenizer>(text::ClipTokenizer::from_file(pack.tokenizer.path));
  } catch (const Error& e) {
    throw e.with_context("loading the tokenizer of pack " + pack.dir);
  }
  models.clip = impl->clip;
  budget.device = impl->device;
  impl->method = std::make_unique<editing::BlendedDiffusionMethod>(std::move(models), budget);
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

std::vector<double> Engine::Impl::prompt_distances(const Image& image, const Image& mask,
                                                   const std::vector<std::string>& prompts, const EditParams& p) {
  if (prompts.empty()) return {};
  const editing::PreparedRegion region = editing::prepare_region(image, mask, pack.image_size, editing::region_params_of(p));
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
  // 1. Prepare.
  const editing::PreparedEdit edit = editing::prepare_edit(request.image, request.mask, p, pack.image_size, device);
  const int64_t steps_per_batch = method->steps_per_batch(p);
  // 2. Encode, once.
  const editing::EncodedPrompt prompt =
      editing::encode_prompt(request.prompt, *tokenizer, pack.context_length, clip, device, result.warnings);
  method->encode(prompt, p, result.warnings);
  result.timings.prepare_s = seconds_since(t_start);
  // 3. Sample each batch, and 4. finish it.
  editing::EditProgress progress(request, edit, static_cast<int>(steps_per_batch * p.iterations));
  for (int it = 0; it < p.iterations; ++it) {
    const auto t_batch = Clock::now();
    const editing::BatchPlan plan = editing::plan_batch(p, it);
    progress.start_batch(it);
    const torch::Tensor pred = method->sample(edit, p, plan, progress, result.warnings);
    if (!pred.defined()) {
      result.status = EditStatus::Cancelled;
      break;
    }
    editing::finish_batch(request, edit, pred, plan, method->pastes_background(p), clip, prompt.clip_embed,
                          seconds_since(t_batch), result.candidates);
  }
  editing::sort_best_first(result.candidates);
  result.timings.sampling_s = progress.sampling_seconds();
  result.timings.per_step_s = progress.done_steps() ? result.timings.sampling_s / progress.done_steps() : 0.0;
  result.timings.total_s = seconds_since(t_start);
  return result;
}

}  // namespace bd
