#include "nn/clip.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "bd/error.h"
#include "core/log.h"
#include "io/state_dict.h"
#include "nn/clip_keymap.h"
#include "nn/clip_state.h"

// bd::ClipConfig (bd/network_config.h) is the network's config; its printing lives here.
namespace bd {

bool ClipConfig::operator==(const ClipConfig& o) const {
  return embed_dim == o.embed_dim && image_resolution == o.image_resolution &&
         vision_layers == o.vision_layers && vision_width == o.vision_width &&
         vision_patch_size == o.vision_patch_size && context_length == o.context_length &&
         vocab_size == o.vocab_size && transformer_width == o.transformer_width &&
         transformer_heads == o.transformer_heads && transformer_layers == o.transformer_layers;
}

std::string ClipConfig::to_string() const {
  std::ostringstream s;
  s << "ClipConfig{embed_dim " << embed_dim << ", image_resolution " << image_resolution
    << ", vision_layers " << vision_layers << ", vision_width " << vision_width << ", patch "
    << vision_patch_size << ", context_length " << context_length << ", vocab " << vocab_size
    << ", text width " << transformer_width << ", heads " << transformer_heads << ", layers "
    << transformer_layers << "}";
  return s.str();
}

}  // namespace bd

namespace bd::nn {

namespace {

torch::Tensor quick_gelu(const torch::Tensor& x) { return x * torch::sigmoid(1.702 * x); }

void require(bool ok, const std::string& what) {
  if (!ok) throw Error(ErrorKind::InvalidInput, "CLIP: " + what);
}

}  // namespace

ClipConfig infer_clip_config(const std::vector<io::NamedTensor>& tensors, int64_t text_head_width) {
  std::map<std::string, c10::IntArrayRef> shapes;
  for (const auto& t : tensors) shapes[t.name] = t.tensor.sizes();
  auto shape = [&](const std::string& k) -> c10::IntArrayRef {
    auto it = shapes.find(k);
    if (it == shapes.end())
      throw Error(
          ErrorKind::ModelFiles,
          "not a ViT CLIP state dict (ResNet CLIPs are not supported): no tensor '" + k + "'");
    return it->second;
  };
  // Distinct N of "<prefix>N.<anything>".
  auto count_layers = [&](const std::string& prefix) {
    std::set<std::string> ids;
    for (const auto& [k, _] : shapes)
      if (k.rfind(prefix, 0) == 0)
        ids.insert(k.substr(prefix.size(), k.find('.', prefix.size()) - prefix.size()));
    return static_cast<int64_t>(ids.size());
  };
  shape("visual.proj");
  ClipConfig c;
  c.vision_width = shape("visual.conv1.weight")[0];
  c.vision_layers = count_layers("visual.transformer.resblocks.");
  c.vision_patch_size = shape("visual.conv1.weight")[3];
  const auto grid = static_cast<int64_t>(
      std::llround(std::sqrt(static_cast<double>(shape("visual.positional_embedding")[0] - 1))));
  c.image_resolution = c.vision_patch_size * grid;
  c.embed_dim = shape("text_projection")[1];
  c.context_length = shape("positional_embedding")[0];
  c.vocab_size = shape("token_embedding.weight")[0];
  c.transformer_width = shape("ln_final.weight")[0];
  if (text_head_width <= 0 || c.transformer_width % text_head_width != 0)
    throw Error(ErrorKind::ModelFiles, "CLIP text width " + std::to_string(c.transformer_width) +
                                           " is not a multiple of the head width " +
                                           std::to_string(text_head_width));
  c.transformer_heads = c.transformer_width / text_head_width;
  c.transformer_layers = count_layers("transformer.resblocks.");
  return c;
}

SelfAttentionImpl::SelfAttentionImpl(int64_t width, int64_t heads) : heads_(heads) {
  require(heads >= 1 && width % heads == 0, "width " + std::to_string(width) +
                                                " does not split into " + std::to_string(heads) +
                                                " heads");
  in_proj_weight_ = register_parameter("in_proj_weight", torch::empty({3 * width, width}));
  in_proj_bias_ = register_parameter("in_proj_bias", torch::zeros({3 * width}));
  torch::nn::init::xavier_uniform_(in_proj_weight_);
  out_proj_ = register_module("out_proj", torch::nn::Linear(width, width));
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  const int64_t batch = x.size(0), length = x.size(1), width = x.size(2);
  const int64_t head_dim = width / heads_;
  auto qkv = torch::linear(x, in_proj_weight_, in_proj_bias_).chunk(3, -1);  // 3 × [B, L, D]
  auto split_heads = [&](const torch::Tensor& t) {                           // -> [B·H, L, hd]
    return t.reshape({batch, length, heads_, head_dim})
        .transpose(1, 2)
        .reshape({batch * heads_, length, head_dim});
  };
  const torch::Tensor q = split_heads(qkv[0]) / std::sqrt(static_cast<double>(head_dim));
  const torch::Tensor k = split_heads(qkv[1]), v = split_heads(qkv[2]);
  torch::Tensor scores = mask.defined()
                             ? torch::baddbmm(mask.to(q.scalar_type()), q, k.transpose(1, 2))
                             : torch::bmm(q, k.transpose(1, 2));      // [B·H, L, L]
  const torch::Tensor a = torch::bmm(torch::softmax(scores, -1), v);  // [B·H, L, hd]
  return out_proj_->forward(
      a.reshape({batch, heads_, length, head_dim}).transpose(1, 2).reshape({batch, length, width}));
}

ResidualAttentionBlockImpl::ResidualAttentionBlockImpl(int64_t width, int64_t heads) {
  attn_ = register_module("attn", SelfAttention(width, heads));
  ln_1_ = register_module("ln_1", LayerNorm32(width));
  mlp_ = register_module("mlp", std::make_shared<torch::nn::Module>());
  c_fc_ = mlp_->register_module("c_fc", torch::nn::Linear(width, 4 * width));
  // mlp.gelu is QuickGELU
  c_proj_ = mlp_->register_module("c_proj", torch::nn::Linear(4 * width, width));
  ln_2_ = register_module("ln_2", LayerNorm32(width));
}

torch::Tensor ResidualAttentionBlockImpl::forward(const torch::Tensor& x_in,
                                                  const torch::Tensor& mask) {
  torch::Tensor x = x_in + attn_->forward(ln_1_->forward(x_in), mask);
  return x + c_proj_->forward(quick_gelu(c_fc_->forward(ln_2_->forward(x))));
}

TransformerImpl::TransformerImpl(int64_t width, int64_t layers, int64_t heads) {
  resblocks_ = register_module("resblocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < layers; ++i) resblocks_->push_back(ResidualAttentionBlock(width, heads));
}

torch::Tensor TransformerImpl::forward(torch::Tensor x, const torch::Tensor& mask) {
  for (const auto& block : *resblocks_)
    x = block->as<ResidualAttentionBlockImpl>()->forward(x, mask);
  return x;
}

VisionTransformerImpl::VisionTransformerImpl(const ClipConfig& c) {
  const int64_t width = c.vision_width, grid = c.grid();
  require(grid * c.vision_patch_size == c.image_resolution,
          "image resolution " + std::to_string(c.image_resolution) +
              " is not a multiple of the patch size");
  const double scale = 1.0 / std::sqrt(static_cast<double>(width));
  conv1_ = register_module("conv1",
                           torch::nn::Conv2d(torch::nn::Conv2dOptions(3, width, c.vision_patch_size)
                                                 .stride(c.vision_patch_size)
                                                 .bias(false)));
  class_embedding_ = register_parameter("class_embedding", scale * torch::randn({width}));
  positional_embedding_ =
      register_parameter("positional_embedding", scale * torch::randn({grid * grid + 1, width}));
  ln_pre_ = register_module("ln_pre", LayerNorm32(width));
  transformer_ =
      register_module("transformer", Transformer(width, c.vision_layers, c.vision_heads()));
  ln_post_ = register_module("ln_post", LayerNorm32(width));
  proj_ = register_parameter("proj", scale * torch::randn({width, c.embed_dim}));
}

torch::Tensor VisionTransformerImpl::forward(const torch::Tensor& image) {
  const auto dtype = conv1_->weight.scalar_type();
  torch::Tensor x = conv1_->forward(image.to(dtype));  // [B, W, g, g]
  x = x.flatten(2).transpose(1, 2);                    // [B, g², W]
  const torch::Tensor cls = class_embedding_.to(dtype).expand({x.size(0), 1, x.size(2)});
  x = torch::cat({cls, x}, 1) + positional_embedding_.to(dtype);  // [B, g²+1, W]
  x = transformer_->forward(ln_pre_->forward(x));
  return torch::matmul(ln_post_->forward(x.select(1, 0)), proj_);  // [B, E]
}

ClipImpl::ClipImpl(const ClipConfig& c) : config_(c) {
  visual_ = register_module("visual", VisionTransformer(c));
  transformer_ = register_module(
      "transformer", Transformer(c.transformer_width, c.transformer_layers, c.transformer_heads));
  token_embedding_ =
      register_module("token_embedding", torch::nn::Embedding(c.vocab_size, c.transformer_width));
  positional_embedding_ = register_parameter(
      "positional_embedding", 0.01 * torch::randn({c.context_length, c.transformer_width}));
  ln_final_ = register_module("ln_final", LayerNorm32(c.transformer_width));
  text_projection_ = register_parameter("text_projection",
                                        torch::randn({c.transformer_width, c.embed_dim}) /
                                            std::sqrt(static_cast<double>(c.transformer_width)));
  logit_scale_ = register_parameter("logit_scale",
                                    torch::scalar_tensor(std::log(1.0 / 0.07), torch::kFloat32));
}

torch::ScalarType ClipImpl::dtype() const { return text_projection_.scalar_type(); }

torch::Tensor ClipImpl::encode_image(const torch::Tensor& image) { return visual_->forward(image); }

torch::Tensor ClipImpl::encode_text(const torch::Tensor& tokens_in) {
  const torch::Tensor tokens =
      tokens_in.to(positional_embedding_.device(), torch::kLong);  // [N, L]
  require(tokens.dim() == 2 && tokens.size(1) <= config_.context_length,
          "tokens must be [N, <=" + std::to_string(config_.context_length) + "]");
  const int64_t length = tokens.size(1);
  torch::Tensor x = token_embedding_->forward(tokens).to(dtype()) +
                    positional_embedding_.narrow(0, 0, length).to(dtype());  // [N, L, D]
  // Causal: a position sees itself and the ones before it.
  const torch::Tensor mask =
      torch::full({length, length}, -std::numeric_limits<float>::infinity(), x.options()).triu(1);
  x = ln_final_->forward(transformer_->forward(x, mask));
  const torch::Tensor eot = tokens.argmax(-1);  // EOT has the largest id
  return torch::matmul(x.index({torch::arange(x.size(0), eot.options()), eot}), text_projection_);
}

ClipLogits ClipImpl::forward(const torch::Tensor& image, const torch::Tensor& tokens) {
  const torch::Tensor img = encode_image(image), txt = encode_text(tokens);
  const torch::Tensor per_image =
      logit_scale_.exp() *
      torch::matmul(img / img.norm(2, -1, true), (txt / txt.norm(2, -1, true)).t());
  return {per_image, per_image.t()};
}

void ClipImpl::convert_to_fp16() { convert_weights(torch::kFloat16); }

void ClipImpl::convert_weights(torch::ScalarType dtype) {
  torch::NoGradGuard no_grad;
  auto half = [dtype](torch::Tensor& p) { p.set_data(p.data().to(dtype)); };
  for (const auto& m : modules(/*include_self=*/false)) {
    if (m->as<torch::nn::Conv2dImpl>() || m->as<torch::nn::LinearImpl>() ||
        m->as<SelfAttentionImpl>())
      for (auto& p : m->parameters(/*recurse=*/false)) half(p);
  }
  for (auto& p : named_parameters(/*recurse=*/true))
    if (p.key() == "visual.proj" || p.key() == "text_projection") half(p.value());
}

bool is_clip_metadata_key(const std::string& name) {
  return name == "input_resolution" || name == "context_length" || name == "vocab_size";
}

void load_clip_state(Clip& clip, const std::vector<io::NamedTensor>& tensors,
                     const std::string& source) {
  io::LoadOptions options;
  options.rename = [](const std::string& k) -> std::optional<std::string> {
    if (is_clip_metadata_key(k)) return std::nullopt;
    return k;
  };
  io::load_state_dict(*clip, tensors, source, options);
}

Clip load_clip(const std::string& path, const torch::Device& device,
               const ClipLoadOptions& options) {
  try {
    const io::TensorFile file = io::read_tensor_file(path);
    const bool hf = is_hf_clip_layout(file.tensors);
    const std::vector<io::NamedTensor> tensors =
        hf ? clip_from_hf_layout(file.tensors) : file.tensors;
    const ClipConfig config = infer_clip_config(tensors, options.text_head_width);
    Clip clip(config);
    load_clip_state(clip, tensors, path);
    freeze(*clip);
    if (options.weight_dtype != torch::kFloat32) clip->convert_weights(options.weight_dtype);
    clip->to(device);
    log::nn()->info("CLIP from {} ({} layout): {} ({} parameters, {}) on {}", path,
                    hf ? "Hugging Face" : "OpenAI", config.to_string(), parameter_count(*clip),
                    c10::toString(clip->dtype()), device.str());
    return clip;
  } catch (...) {
    rethrow_with_stage("loading CLIP from " + path);
  }
}

}  // namespace bd::nn
