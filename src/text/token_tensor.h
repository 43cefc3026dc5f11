#pragma once
// The tensor side of the tokenizer, kept apart so clip_tokenizer.h stays torch-free.
#include <torch/types.h>

#include <string>
#include <vector>

#include "text/clip_tokenizer.h"

namespace bd::text {

// [rows, context_length] int64 on CPU (the vendored CLIP's dtype).
torch::Tensor to_tensor(const TokenizedBatch& batch);

// clip.tokenize(texts) as Blended Diffusion calls it, long prompts truncated.
torch::Tensor tokenize_tensor(const ClipTokenizer& tokenizer, const std::vector<std::string>& texts,
                              int context_length = ClipTokenizer::kContextLength);

}  // namespace bd::text
