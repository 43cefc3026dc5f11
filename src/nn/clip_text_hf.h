#pragma once
// Stable Diffusion's text encoder in the Hugging Face transformers layout: CLIPTextModel
// (models/clip/modeling_clip.py), as text_encoder/ of a diffusers folder holds it. SD 1.x
// ships OpenAI's ViT-L/14 text tower (quick_gelu) and conditions on last_hidden_state.
// SD 2.x was trained on OpenCLIP ViT-H's penultimate layer followed by its final norm; the
// diffusers conversion (gelu) drops the 24th layer, so there too the pipelines condition on
// last_hidden_state of the 23 remaining layers. `penultimate` serves "clip skip" variants.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <optional>
#include <string>
#include <vector>

namespace bd::nn {

// text_encoder/config.json under transformers' names; defaults are SD 1.5's (ViT-L/14).
struct CLIPTextConfig {
  int64_t vocab_size = 49408;
  int64_t hidden_size = 768;
  int64_t intermediate_size = 3072;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t max_position_embeddings = 77;
  std::string hidden_act = "quick_gelu";  // or "gelu" (erf form)
  double layer_norm_eps = 1e-5;
  // Pooling: 2 is the legacy rule (the position of the largest id, the end-of-text token);
  // otherwise the first position holding eos_token_id.
  int64_t eos_token_id = 2;

  // Throws bd::Error(ModelFiles) naming the first bad field.
  void validate() const;
  bool operator==(const CLIPTextConfig& o) const;
  std::string to_string() const;
};

// x: [..., D] -> quick_gelu (x·σ(1.702x)) or gelu (erf).
torch::Tensor clip_activation(const torch::Tensor& x, const std::string& name);

class CLIPTextEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit CLIPTextEmbeddingsImpl(const CLIPTextConfig& c);
  torch::Tensor forward(const torch::Tensor& input_ids);  // [B, T] int64 -> [B, T, D]

 private:
  torch::nn::Embedding token_embedding_{nullptr}, position_embedding_{nullptr};
};
TORCH_MODULE(CLIPTextEmbeddings);

// CLIPAttention: q_proj, k_proj, v_proj, out_proj (all with biases).
class CLIPAttentionImpl : public torch::nn::Module {
 public:
  explicit CLIPAttentionImpl(const CLIPTextConfig& c);
  // x: [B, T, D], mask: additive [T, T] -> [B, T, D]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);

 private:
  int64_t heads_;
  torch::nn::Linear q_proj_{nullptr}, k_proj_{nullptr}, v_proj_{nullptr}, out_proj_{nullptr};
};
TORCH_MODULE(CLIPAttention);

// CLIPEncoderLayer: pre-norm self-attention and MLP (mlp.fc1, activation, mlp.fc2).
class CLIPEncoderLayerImpl : public torch::nn::Module {
 public:
  explicit CLIPEncoderLayerImpl(const CLIPTextConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);  // [B, T, D]

 private:
  std::string act_;
  CLIPAttention self_attn_{nullptr};
  torch::nn::LayerNorm layer_norm1_{nullptr}, layer_norm2_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};  // registered under "mlp"
};
TORCH_MODULE(CLIPEncoderLayer);

struct CLIPTextOutput {
  torch::Tensor last_hidden_state;  // [B, T, D] after final_layer_norm: what SD 1.x and the
                                    // diffusers SD 2.x pipelines condition on
  torch::Tensor penultimate;        // hidden_states[-2]: the second-to-last layer's output,
                                    // without final_layer_norm ("clip skip" starts here)
  torch::Tensor pooler_output;      // [B, D] last_hidden_state at the end-of-text token
  std::vector<torch::Tensor> hidden_states;  // embeddings, then each layer's output
};

class CLIPTextModelImpl : public torch::nn::Module {
 public:
  explicit CLIPTextModelImpl(const CLIPTextConfig& config = {});
  // input_ids: [B, T] int64, T <= max_position_embeddings (77: padded by the tokenizer).
  CLIPTextOutput forward(const torch::Tensor& input_ids);
  const CLIPTextConfig& config() const { return config_; }

 private:
  CLIPTextConfig config_;
  // Everything lives under "text_model." as in transformers' state dict.
  std::shared_ptr<torch::nn::Module> text_model_;
  CLIPTextEmbeddings embeddings_{nullptr};
  torch::nn::ModuleList layers_{nullptr};  // text_model.encoder.layers
  torch::nn::LayerNorm final_layer_norm_{nullptr};
};
TORCH_MODULE(CLIPTextModel);

// Maps a text_encoder file's key to this module's: transformers 5 writes the keys without
// the "text_model." prefix that older files (and SD's published ones) carry; the
// position_ids buffer older files hold is dropped (the model recomputes it).
std::optional<std::string> clip_text_key(const std::string& name);

}  // namespace bd::nn
