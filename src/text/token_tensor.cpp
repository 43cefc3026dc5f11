#include "text/token_tensor.h"

namespace bd::text {

torch::Tensor to_tensor(const TokenizedBatch& batch) {
  return torch::tensor(batch.ids, torch::kInt64).reshape({batch.rows(), batch.context_length});
}

torch::Tensor tokenize_tensor(const ClipTokenizer& tokenizer, const std::vector<std::string>& texts,
                              int context_length) {
  return to_tensor(tokenizer.tokenize(texts, context_length));
}

}  // namespace bd::text
