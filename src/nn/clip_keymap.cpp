#include "nn/clip_keymap.h"

#include <torch/torch.h>

#include <array>
#include <map>
#include <optional>
#include <utility>

#include "bd/error.h"

namespace bd::nn {

namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// Whole-name prefixes outside the encoder layers, HF -> OpenAI.
const std::vector<std::pair<std::string, std::string>> kPrefixes = {
    {"vision_model.embeddings.class_embedding", "visual.class_embedding"},
    {"vision_model.embeddings.patch_embedding.", "visual.conv1."},
    {"vision_model.embeddings.position_embedding.weight", "visual.positional_embedding"},
    {"vision_model.pre_layrnorm.", "visual.ln_pre."},
    {"vision_model.post_layernorm.", "visual.ln_post."},
    {"vision_model.encoder.layers.", "visual.transformer.resblocks."},
    {"text_model.embeddings.token_embedding.", "token_embedding."},
    {"text_model.embeddings.position_embedding.weight", "positional_embedding"},
    {"text_model.final_layer_norm.", "ln_final."},
    {"text_model.encoder.layers.", "transformer.resblocks."},
};

// Inside one encoder layer, HF -> OpenAI ("N." already moved to the new prefix).
const std::vector<std::pair<std::string, std::string>> kLayerParts = {
    {"self_attn.out_proj.", "attn.out_proj."},
    {"layer_norm1.", "ln_1."},
    {"layer_norm2.", "ln_2."},
    {"mlp.fc1.", "mlp.c_fc."},
    {"mlp.fc2.", "mlp.c_proj."},
};

// "self_attn.q_proj.weight" -> (0, "weight"); k is 1, v is 2.
std::optional<std::pair<int, std::string>> qkv_part(const std::string& rest) {
  static const std::array<const char*, 3> names = {"self_attn.q_proj.", "self_attn.k_proj.",
                                                   "self_attn.v_proj."};
  for (int i = 0; i < 3; ++i)
    if (starts_with(rest, names[i]))
      return std::make_pair(i, rest.substr(std::string(names[i]).size()));
  return std::nullopt;
}

}  // namespace

bool is_hf_clip_layout(const std::vector<io::NamedTensor>& tensors) {
  for (const auto& t : tensors)
    if (starts_with(t.name, "vision_model.") || starts_with(t.name, "text_model.")) return true;
  return false;
}

std::vector<io::NamedTensor> clip_from_hf_layout(const std::vector<io::NamedTensor>& tensors) {
  std::vector<io::NamedTensor> out;
  // "visual.transformer.resblocks.3.attn.in_proj_weight" -> {q, k, v}
  std::map<std::string, std::array<torch::Tensor, 3>> packed;
  for (const auto& t : tensors) {
    const std::string& name = t.name;
    if (name.size() >= 12 && name.compare(name.size() - 12, 12, "position_ids") == 0) continue;
    if (name == "visual_projection.weight") {
      out.push_back({"visual.proj", t.tensor.t().contiguous()});  // HF [E, W] -> [W, E]
      continue;
    }
    if (name == "text_projection.weight") {
      out.push_back({"text_projection", t.tensor.t().contiguous()});
      continue;
    }
    std::string mapped = name;
    for (const auto& [from, to] : kPrefixes) {
      if (!starts_with(name, from)) continue;
      mapped = to + name.substr(from.size());
      if (to.back() == '.' && to.find("resblocks.") != std::string::npos) {
        const size_t dot = mapped.find('.', to.size());
        const std::string layer = mapped.substr(0, dot + 1);  // "...resblocks.N."
        const std::string rest = mapped.substr(dot + 1);
        if (auto q = qkv_part(rest)) {
          packed[layer + "attn.in_proj_" + q->second][q->first] = t.tensor;
          mapped.clear();
          break;
        }
        for (const auto& [part_from, part_to] : kLayerParts)
          if (starts_with(rest, part_from))
            mapped = layer + part_to + rest.substr(part_from.size());
      }
      break;
    }
    if (!mapped.empty()) out.push_back({mapped, t.tensor});
  }
  for (const auto& [name, qkv] : packed) {
    for (int i = 0; i < 3; ++i)
      if (!qkv[i].defined())
        throw Error(ErrorKind::ModelFiles, "Hugging Face CLIP weights: " + name + " lacks its " +
                                               std::string(1, "qkv"[i]) + " projection");
    out.push_back({name, torch::cat({qkv[0], qkv[1], qkv[2]}, 0)});
  }
  return out;
}

}  // namespace bd::nn
