#pragma once
// The ToyWorld CLIP's text tower (OpenAI layout) as a Hugging Face CLIPTextModel: the
// frozen text encoder of the ToyWorld latent pack, so that the pack's text_encoder/ is read
// by the same loader as Stable Diffusion's.
#include <string>
#include <vector>

#include "io/tensor_file.h"
#include "nn/clip.h"
#include "nn/clip_text_hf.h"

namespace bd::toyworld {

// The CLIPTextModel config of `clip`'s text tower: quick_gelu (OpenAI's activation), the
// CLIP's context length as max_position_embeddings, eos_token_id = `eot` (the largest id,
// so it pools where OpenAI's encode_text does).
nn::CLIPTextConfig text_tower_config(const nn::ClipConfig& clip, int64_t eot);

// OpenAI text-tower names -> transformers' ("text_model." prefix): attn.in_proj_* split
// into q_proj, k_proj, v_proj; ln_1/2 -> layer_norm1/2; mlp.c_fc/c_proj -> mlp.fc1/fc2;
// positional_embedding -> embeddings.position_embedding.weight; ln_final ->
// final_layer_norm. The vision tower, text_projection and logit_scale are left out.
std::vector<io::NamedTensor> text_tower_tensors(nn::Clip& clip);

// The CLIPTextModel built from them, frozen (eval, no gradients), on the CPU.
nn::CLIPTextModel text_tower(nn::Clip& clip, int64_t eot);

}  // namespace bd::toyworld
