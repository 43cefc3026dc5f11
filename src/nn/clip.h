#pragma once
// CLIP with a ViT image tower (openai/CLIP clip/model.py), parameters named exactly as
// OpenAI's state_dict keys (visual.*, transformer.*, token_embedding, ...).
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

#include "bd/network_config.h"
#include "io/tensor_file.h"
#include "nn/layers.h"

namespace bd::nn {

using bd::ClipConfig;  // CLIP's build_model arguments

// As CLIP's build_model: layer counts from the resblock keys, widths, patch, grid and
// sizes from shapes, text heads = width / text_head_width (shapes cannot tell heads;
// every published CLIP uses 64). OpenAI names (see clip_keymap.h for the Hugging Face
// layout). Throws bd::Error(ModelFiles) for other tensors (ResNet CLIPs too) and for a
// width that does not split into heads.
ClipConfig infer_clip_config(const std::vector<io::NamedTensor>& tensors,
                             int64_t text_head_width = 64);

// nn.MultiheadAttention's parameters (in_proj_weight/bias rows q|k|v, out_proj) computed
// with plain matmuls, so that the backward to the input is a few cheap kernels.
class SelfAttentionImpl : public torch::nn::Module {
 public:
  SelfAttentionImpl(int64_t width, int64_t heads);
  // x: [B, L, D]; mask: [L, L] additive or undefined -> [B, L, D]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask = {});

 private:
  int64_t heads_;
  torch::Tensor in_proj_weight_, in_proj_bias_;  // [3D, D], [3D]
  torch::nn::Linear out_proj_{nullptr};
};
TORCH_MODULE(SelfAttention);

// CLIP ResidualAttentionBlock: x + attn(ln_1(x)), then x + mlp(ln_2(x)) with QuickGELU.
class ResidualAttentionBlockImpl : public torch::nn::Module {
 public:
  ResidualAttentionBlockImpl(int64_t width, int64_t heads);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask = {});  // x: [B, L, D]

 private:
  SelfAttention attn_{nullptr};
  LayerNorm32 ln_1_{nullptr}, ln_2_{nullptr};
  std::shared_ptr<torch::nn::Module> mlp_;  // mlp.c_fc, mlp.c_proj (mlp.gelu has no tensors)
  torch::nn::Linear c_fc_{nullptr}, c_proj_{nullptr};
};
TORCH_MODULE(ResidualAttentionBlock);

// CLIP Transformer: resblocks.N. Runs batch-first (the reference is sequence-first; the
// arithmetic per token is the same).
class TransformerImpl : public torch::nn::Module {
 public:
  TransformerImpl(int64_t width, int64_t layers, int64_t heads);
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& mask = {});  // x: [B, L, D]

 private:
  torch::nn::ModuleList resblocks_{nullptr};
};
TORCH_MODULE(Transformer);

class VisionTransformerImpl : public torch::nn::Module {
 public:
  explicit VisionTransformerImpl(const ClipConfig& config);
  torch::Tensor forward(const torch::Tensor& x);  // x: [B, 3, R, R] -> [B, E]

 private:
  torch::nn::Conv2d conv1_{nullptr};  // patchify, no bias
  torch::Tensor class_embedding_, positional_embedding_, proj_;
  LayerNorm32 ln_pre_{nullptr}, ln_post_{nullptr};
  Transformer transformer_{nullptr};
};
TORCH_MODULE(VisionTransformer);

struct ClipLogits {
  torch::Tensor per_image;  // [B, N] = exp(logit_scale) · cos
  torch::Tensor per_text;   // [N, B]
};

class ClipImpl : public torch::nn::Module {
 public:
  explicit ClipImpl(const ClipConfig& config = {});

  // image: [B, 3, R, R] already normalised with CLIP's mean and std; any float dtype.
  // Returns float in the model's dtype, not normalised: [B, embed_dim].
  torch::Tensor encode_image(const torch::Tensor& image);
  // tokens: int64 [N, context_length], EOT (the largest id) marking the pooled position.
  torch::Tensor encode_text(const torch::Tensor& tokens);  // -> [N, embed_dim]
  ClipLogits forward(const torch::Tensor& image, const torch::Tensor& tokens);

  // clip.model.convert_weights: conv/linear weights and biases, attention in_proj, proj
  // and text_projection become float16 (the GPU model Blended Diffusion runs); layer
  // norms, embeddings and logit_scale stay float32.
  void convert_to_fp16();
  void convert_weights(torch::ScalarType dtype);  // the same for float16 or bfloat16
  torch::ScalarType dtype() const;
  const ClipConfig& config() const { return config_; }
  const torch::Tensor& logit_scale() const { return logit_scale_; }

 private:
  ClipConfig config_;
  VisionTransformer visual_{nullptr};
  Transformer transformer_{nullptr};
  torch::nn::Embedding token_embedding_{nullptr};
  torch::Tensor positional_embedding_, text_projection_, logit_scale_;
  LayerNorm32 ln_final_{nullptr};
};
TORCH_MODULE(Clip);

// The names a CLIP file may hold besides the parameters (TorchScript archives carry
// these as attributes); dropped before loading, as build_model does.
bool is_clip_metadata_key(const std::string& name);

struct ClipLoadOptions {
  // The dtype of the linear, conv and attention weights: float32, float16 (the reference's
  // GPU model, clip.model.convert_weights) or bfloat16. Norms stay float32.
  torch::ScalarType weight_dtype = torch::kFloat32;
  int64_t text_head_width = 64;  // see infer_clip_config
};

// Reads OpenAI's TorchScript archive (ViT-B-16.pt), a state dict (.pt, safetensors) with
// OpenAI names, or a Hugging Face CLIPModel file (converted by clip_from_hf_layout);
// infers the config, builds, loads, freezes, moves to `device`. Errors are bd::Error
// prefixed "loading CLIP from <path>: ".
Clip load_clip(const std::string& path, const torch::Device& device,
               const ClipLoadOptions& options = {});

}  // namespace bd::nn
