#pragma once
// Hugging Face transformers CLIPModel files -> OpenAI CLIP names. Not a rename: HF keeps
// q, k and v projections apart (OpenAI packs them into in_proj) and stores the two
// projections transposed, so whole tensors are rebuilt.
#include <vector>

#include "io/tensor_file.h"

namespace bd::nn {

// True when the names are the HF layout (vision_model.* / text_model.*).
bool is_hf_clip_layout(const std::vector<io::NamedTensor>& tensors);

// vision_model.embeddings.{class_embedding, patch_embedding.weight -> visual.conv1.weight,
// position_embedding.weight -> visual.positional_embedding}, pre_layrnorm (sic) -> ln_pre,
// post_layernorm -> ln_post, visual_projection.weight^T -> visual.proj;
// text_model.embeddings.token_embedding.weight, position_embedding.weight ->
// positional_embedding, final_layer_norm -> ln_final, text_projection.weight^T ->
// text_projection; encoder.layers.N.{self_attn.{q,k,v}_proj -> attn.in_proj_* (rows
// q|k|v), self_attn.out_proj -> attn.out_proj, layer_norm1/2 -> ln_1/2, mlp.fc1/fc2 ->
// mlp.c_fc/c_proj} under visual.transformer.resblocks.N / transformer.resblocks.N;
// logit_scale. position_ids buffers are dropped; unknown names pass through unchanged (so
// loading reports them). The MLP activation is not in the weights: HF's OpenAI
// conversions use quick_gelu, which is what this CLIP computes.
// Throws bd::Error(ModelFiles) when a layer lacks one of q, k, v.
std::vector<io::NamedTensor> clip_from_hf_layout(const std::vector<io::NamedTensor>& tensors);

}  // namespace bd::nn
