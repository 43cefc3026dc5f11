#include "toyworld/text_tower.h"

#include <torch/torch.h>

#include "io/state_dict.h"
#include "toyworld/checkpoint.h"

namespace bd::toyworld {

nn::CLIPTextConfig text_tower_config(const nn::ClipConfig& clip, int64_t eot) {
  nn::CLIPTextConfig c;
  c.vocab_size = clip.vocab_size;
  c.hidden_size = clip.transformer_width;
  c.intermediate_size = 4 * clip.transformer_width;
  c.num_hidden_layers = clip.transformer_layers;
  c.num_attention_heads = clip.transformer_heads;
  c.max_position_embeddings = clip.context_length;
  c.hidden_act = "quick_gelu";
  c.layer_norm_eps = 1e-5;
  c.eos_token_id = eot;
  return c;
}

std::vector<io::NamedTensor> text_tower_tensors(nn::Clip& clip) {
  std::vector<io::NamedTensor> out;
  const std::string layers = "transformer.resblocks.";
  const int64_t d = clip->config().transformer_width;
  for (const auto& t : module_tensors(*clip)) {
    const std::string& n = t.name;
    auto put = [&](const std::string& name, const torch::Tensor& v) {
      out.push_back({"text_model." + name, v.contiguous()});
    };
    if (n == "token_embedding.weight") {
      put("embeddings.token_embedding.weight", t.tensor);
    } else if (n == "positional_embedding") {
      put("embeddings.position_embedding.weight", t.tensor);
    } else if (n.rfind("ln_final.", 0) == 0) {
      put("final_layer_norm." + n.substr(9), t.tensor);
    } else if (n.rfind(layers, 0) == 0) {
      const std::string rest = n.substr(layers.size());
      const std::string index = rest.substr(0, rest.find('.'));
      const std::string part = rest.substr(index.size() + 1);
      const std::string to = "encoder.layers." + index + ".";
      if (part == "attn.in_proj_weight" || part == "attn.in_proj_bias") {
        const std::string kind = part == "attn.in_proj_weight" ? "weight" : "bias";
        const char* names[3] = {"q_proj", "k_proj", "v_proj"};
        for (int i = 0; i < 3; ++i)
          put(to + "self_attn." + names[i] + "." + kind, t.tensor.narrow(0, i * d, d));
      } else {
        static const std::vector<std::pair<std::string, std::string>> parts = {
            {"attn.out_proj.", "self_attn.out_proj."},
            {"ln_1.", "layer_norm1."},
            {"ln_2.", "layer_norm2."},
            {"mlp.c_fc.", "mlp.fc1."},
            {"mlp.c_proj.", "mlp.fc2."}};
        for (const auto& [from, into] : parts)
          if (part.rfind(from, 0) == 0) put(to + into + part.substr(from.size()), t.tensor);
      }
    }
  }
  return out;
}

nn::CLIPTextModel text_tower(nn::Clip& clip, int64_t eot) {
  nn::CLIPTextModel model(text_tower_config(clip->config(), eot));
  io::load_state_dict(*model, text_tower_tensors(clip), "ToyWorld CLIP text tower");
  model->eval();
  for (auto& p : model->parameters()) p.set_requires_grad(false);
  return model;
}

}  // namespace bd::toyworld
