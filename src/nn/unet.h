#pragma once
// ADM UNet (openai/guided-diffusion unet.py UNetModel), parameters named exactly as the
// published checkpoints' state_dict keys, so their files load without renaming.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

#include "io/tensor_file.h"
#include "nn/unet_blocks.h"

namespace bd::nn {

// Defaults are the 256×256 unconditional checkpoint Blended Diffusion uses.
struct UNetConfig {
  int64_t in_channels = 3;
  int64_t model_channels = 256;
  int64_t out_channels = 6;  // 6 with learned sigma (ε and the variance interpolation v)
  int64_t num_res_blocks = 2;
  std::vector<double> channel_mult = {1, 1, 2, 2, 4, 4};  // 0.5 occurs (512×512 model)
  // Downsampling rates (image_size / resolution) that get attention: "32,16,8" at 256².
  std::vector<int64_t> attention_ds = {8, 16, 32};
  int64_t num_classes = 0;  // 0: unconditional; 1000: class-conditional (label_emb)
  // Heads: channels / num_head_channels, or num_heads when num_head_channels is -1.
  // Output blocks use num_heads_upsample (-1: num_heads). Shapes cannot tell these.
  int64_t num_heads = 4;
  int64_t num_head_channels = 64;
  int64_t num_heads_upsample = -1;
  bool use_scale_shift_norm = true;
  bool resblock_updown = true;
  bool use_new_attention_order = false;  // false: QKVAttentionLegacy
  double dropout = 0.0;                  // training only; eval() disables it

  bool learn_sigma() const { return out_channels == 2 * in_channels; }
  int64_t time_embed_dim() const { return 4 * model_channels; }
  int64_t channels_at(size_t level) const {
    return static_cast<int64_t>(channel_mult.at(level) * static_cast<double>(model_channels));
  }
  bool operator==(const UNetConfig& o) const;
  bool operator!=(const UNetConfig& o) const { return !(*this == o); }
  std::string to_string() const;
};

// guided_diffusion script_util.create_model's arguments, as the command lines and the
// reference vectors' sidecars give them. Defaults: Blended Diffusion's 256 model.
struct CreateModelArgs {
  int64_t image_size = 256;
  int64_t num_channels = 256;
  int64_t num_res_blocks = 2;
  std::string channel_mult = "";  // "" -> the image size's default
  std::string attention_resolutions = "32,16,8";
  int64_t num_heads = 4;
  int64_t num_head_channels = 64;
  int64_t num_heads_upsample = -1;
  bool learn_sigma = true;
  bool class_cond = false;
  bool use_scale_shift_norm = true;
  double dropout = 0.0;
  bool resblock_updown = true;
  bool use_new_attention_order = false;
};
// Throws bd::Error(InvalidInput) for malformed lists or an image size without default.
UNetConfig unet_config_from_args(const CreateModelArgs& args);

// Infers the architecture from a state dict's names and shapes (no "sd."/"module."
// prefix). What shapes cannot tell (num_heads, num_head_channels, num_heads_upsample,
// use_new_attention_order, dropout; resblock_updown with a single level) is copied from
// `unobservable`; its default assumes the published 64-channel heads and legacy order.
// Throws bd::Error(ModelFiles) when the tensors are not an ADM UNet.
UNetConfig infer_unet_config(const std::vector<io::NamedTensor>& tensors,
                             const UNetConfig& unobservable = {});

// Intermediate values the fidelity tests compare (reference dbg.* tensors).
struct UNetTrace {
  torch::Tensor t_emb_sin;   // [B, model_channels]
  torch::Tensor emb;         // [B, 4·model_channels]
  torch::Tensor middle_out;  // [B, C, H/ds, W/ds]
};

class UNetImpl : public torch::nn::Module {
 public:
  explicit UNetImpl(const UNetConfig& config = {});

  // x: [B, in, H, W] (any float dtype, H and W divisible by 2^(levels-1)); t: [B] float
  // timesteps on the 0..999 scale (fractional allowed); y: [B] int64 class labels, only
  // for class-conditional models. Returns [B, out, H, W] in x's dtype.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& y = {},
                        UNetTrace* trace = nullptr);

  // guided_diffusion convert_to_fp16: the conv weights of the torso (input, middle and
  // output blocks) become float16, everything else stays float32; the torso then runs in
  // fp16. For CUDA; CPU kernels for fp16 convs are slow or missing.
  void convert_to_fp16();
  // The same for any reduced dtype: bfloat16 runs on CPUs with AVX-512 BF16 too.
  void convert_torso(torch::ScalarType dtype);
  torch::ScalarType torso_dtype() const { return torso_dtype_; }
  const UNetConfig& config() const { return config_; }

 private:
  UNetConfig config_;
  torch::ScalarType torso_dtype_ = torch::kFloat32;
  torch::nn::Sequential time_embed_{nullptr};  // time_embed.1 is SiLU
  torch::nn::Embedding label_emb_{nullptr};
  torch::nn::ModuleList input_blocks_{nullptr};
  EmbedSequential middle_block_{nullptr};
  torch::nn::ModuleList output_blocks_{nullptr};
  torch::nn::Sequential out_{nullptr};  // out.1 is SiLU
};
TORCH_MODULE(UNet);

struct UNetLoadOptions {
  UNetConfig unobservable;   // see infer_unet_config
  // The torso's weight dtype: float32, float16 (the reference's use_fp16) or bfloat16.
  torch::ScalarType torso_dtype = torch::kFloat32;
};

// Reads any weight file io::read_tensor_file knows, infers the config, builds, loads,
// freezes (requires_grad false, eval) and moves to `device`. Errors are bd::Error
// prefixed "loading UNet from <path>: ".
UNet load_unet(const std::string& path, const torch::Device& device,
               const UNetLoadOptions& options = {});

}  // namespace bd::nn
