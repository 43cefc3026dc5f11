#pragma once
// The settings of a Hugging Face tokenizer folder (Stable Diffusion's tokenizer/) that
// change ids: the pad token that padding="max_length" fills rows with, and the model's
// maximum length. Torch-free.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bd::text {

struct HfTokenizerConfig {
  std::optional<std::string> pad_token;  // the token's text ("!", "<|endoftext|>")
  std::string pad_token_file;            // where pad_token came from
  std::optional<int64_t> model_max_length;
};

// One special_tokens_map.json or tokenizer_config.json: "pad_token" as a string or an
// AddedToken object {"content": ...}, null meaning none; "model_max_length" as a positive
// integer (transformers writes 1e30 and larger for "no limit", which reads as absent).
// Throws bd::Error(ModelFiles) naming `path` for malformed JSON or a field of the wrong
// type.
HfTokenizerConfig parse_hf_tokenizer_json(std::string_view json_text, const std::string& path);

// The folder's settings when `merges_path` sits next to special_tokens_map.json or
// tokenizer_config.json, else nullopt. As in transformers, special_tokens_map.json's pad
// token wins over tokenizer_config.json's.
std::optional<HfTokenizerConfig> read_hf_tokenizer_folder(const std::string& merges_path);

}  // namespace bd::text
