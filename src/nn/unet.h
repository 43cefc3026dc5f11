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
#include "nn/unet_config.h"

namespace bd::nn {

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
