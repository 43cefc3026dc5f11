#include "nn/clip_text_hf.h"

#include <torch/torch.h>

#include <limits>
#include <sstream>

#include "bd/error.h"
#include "nn/sd_blocks.h"

namespace bd::nn {

namespace {
[[noreturn]] void invalid(const std::string& what) {
  throw Error(ErrorKind::ModelFiles, "CLIPTextModel config: " + what);
}

torch::nn::LayerNorm layer_norm(const CLIPTextConfig& c) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps));
}
}  // namespace

void CLIPTextConfig::validate() const {
  if (vocab_size <= 0 || hidden_size <= 0 || intermediate_size <= 0 || num_hidden_layers <= 0 ||
      num_attention_heads <= 0 || max_position_embeddings <= 0)
    invalid("sizes and counts must be positive");
  if (hidden_size % num_attention_heads != 0)
    invalid("hidden_size " + std::to_string(hidden_size) +
            " is not divisible by num_attention_heads " + std::to_string(num_attention_heads));
  if (hidden_act != "quick_gelu" && hidden_act != "gelu")
    invalid("hidden_act '" + hidden_act + "' is not supported (quick_gelu, gelu)");
}

bool CLIPTextConfig::operator==(const CLIPTextConfig& o) const {
  return vocab_size == o.vocab_size && hidden_size == o.hidden_size &&
         intermediate_size == o.intermediate_size && num_hidden_layers == o.num_hidden_layers &&
         num_attention_heads == o.num_attention_heads &&
         max_position_embeddings == o.max_position_embeddings && hidden_act == o.hidden_act &&
         layer_norm_eps == o.layer_norm_eps && eos_token_id == o.eos_token_id;
}

std::string CLIPTextConfig::to_string() const {
  std::ostringstream o;
  o << "CLIPTextConfig{vocab " << vocab_size << ", width " << hidden_size << ", mlp "
    << intermediate_size << ", layers " << num_hidden_layers << ", heads " << num_attention_heads
    << ", positions " << max_position_embeddings << ", act " << hidden_act << ", eps "
    << layer_norm_eps << ", eos " << eos_token_id << "}";
  return o.str();
}

torch::Tensor clip_activation(const torch::Tensor& x, const std::string& name) {
  if (name == "quick_gelu") return x * torch::sigmoid(1.702 * x);
  return torch::gelu(x);
}

CLIPTextEmbeddingsImpl::CLIPTextEmbeddingsImpl(const CLIPTextConfig& c) {
  token_embedding_ =
      register_module("token_embedding", torch::nn::Embedding(c.vocab_size, c.hidden_size));
  position_embedding_ = register_module(
      "position_embedding", torch::nn::Embedding(c.max_position_embeddings, c.hidden_size));
}

torch::Tensor CLIPTextEmbeddingsImpl::forward(const torch::Tensor& input_ids) {
  const int64_t t = input_ids.size(1);
  const torch::Tensor positions = torch::arange(t, input_ids.options().dtype(torch::kLong));
  return token_embedding_(input_ids) + position_embedding_(positions).unsqueeze(0);  // [B, T, D]
}

CLIPAttentionImpl::CLIPAttentionImpl(const CLIPTextConfig& c) : heads_(c.num_attention_heads) {
  const int64_t d = c.hidden_size;
  k_proj_ = register_module("k_proj", torch::nn::Linear(d, d));
  v_proj_ = register_module("v_proj", torch::nn::Linear(d, d));
  q_proj_ = register_module("q_proj", torch::nn::Linear(d, d));
  out_proj_ = register_module("out_proj", torch::nn::Linear(d, d));
}

torch::Tensor CLIPAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  return out_proj_(multi_head_attention(q_proj_(x), k_proj_(x), v_proj_(x), heads_, mask));
}

CLIPEncoderLayerImpl::CLIPEncoderLayerImpl(const CLIPTextConfig& c) : act_(c.hidden_act) {
  self_attn_ = register_module("self_attn", CLIPAttention(c));
  layer_norm1_ = register_module("layer_norm1", layer_norm(c));
  auto mlp = register_module("mlp", std::make_shared<torch::nn::Module>());
  fc1_ = mlp->register_module("fc1", torch::nn::Linear(c.hidden_size, c.intermediate_size));
  fc2_ = mlp->register_module("fc2", torch::nn::Linear(c.intermediate_size, c.hidden_size));
  layer_norm2_ = register_module("layer_norm2", layer_norm(c));
}

torch::Tensor CLIPEncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  const torch::Tensor h = x + self_attn_(layer_norm1_(x), mask);  // [B, T, D]
  return h + fc2_(clip_activation(fc1_(layer_norm2_(h)), act_));
}

CLIPTextModelImpl::CLIPTextModelImpl(const CLIPTextConfig& config) : config_(config) {
  config_.validate();
  text_model_ = register_module("text_model", std::make_shared<torch::nn::Module>());
  embeddings_ = text_model_->register_module("embeddings", CLIPTextEmbeddings(config_));
  auto encoder = text_model_->register_module("encoder", std::make_shared<torch::nn::Module>());
  layers_ = encoder->register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < config_.num_hidden_layers; ++i)
    layers_->push_back(CLIPEncoderLayer(config_));
  final_layer_norm_ = text_model_->register_module("final_layer_norm", layer_norm(config_));
}

CLIPTextOutput CLIPTextModelImpl::forward(const torch::Tensor& input_ids) {
  TORCH_CHECK(input_ids.dim() == 2 && input_ids.size(1) <= config_.max_position_embeddings,
              "CLIPTextModel: input_ids must be [B, T] with T <= ", config_.max_position_embeddings,
              ", got ", input_ids.sizes());
  TORCH_CHECK(input_ids.numel() == 0 || (input_ids.min().item<int64_t>() >= 0 &&
                                         input_ids.max().item<int64_t>() < config_.vocab_size),
              "CLIPTextModel: token ids must lie in [0, ", config_.vocab_size, ")");
  const torch::Tensor ids = input_ids.to(torch::kLong);
  const int64_t t = ids.size(1);
  CLIPTextOutput out;
  torch::Tensor h = embeddings_(ids);  // [B, T, D]
  // Causal: each token attends to itself and those before it.
  const torch::Tensor mask =
      torch::full({t, t}, -std::numeric_limits<float>::infinity(),
                  torch::TensorOptions().dtype(torch::kFloat32).device(h.device()))
          .triu(1);
  out.hidden_states.push_back(h);
  for (const auto& layer : *layers_) {
    h = layer->as<CLIPEncoderLayerImpl>()->forward(h, mask);
    out.hidden_states.push_back(h);
  }
  out.penultimate = out.hidden_states[out.hidden_states.size() - 2];
  out.last_hidden_state = final_layer_norm_(h);
  const torch::Tensor eos_at =
      config_.eos_token_id == 2 ? ids.argmax(-1)
                                : (ids == config_.eos_token_id).to(torch::kInt).argmax(-1);  // [B]
  out.pooler_output =
      out.last_hidden_state.index({torch::arange(ids.size(0), ids.options()), eos_at});  // [B, D]
  return out;
}

std::optional<std::string> clip_text_key(const std::string& name) {
  const std::string prefix = "text_model.";
  const std::string key = name.rfind(prefix, 0) == 0 ? name : prefix + name;
  if (key == "text_model.embeddings.position_ids") return std::nullopt;
  return key;
}

}  // namespace bd::nn
