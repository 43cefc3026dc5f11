#pragma once
// CLIP's byte-level BPE tokenizer (openai/CLIP simple_tokenizer.py + clip.tokenize),
// exactly, for CLIP's own vocabulary file and for small merges files of ours.
// Torch-free: token_tensor.h turns a TokenizedBatch into the [N, 77] int64 tensor.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "text/text_fix.h"

namespace bd::text {

struct TokenizerOptions {
  TextFix fix = TextFix::None;
  // CLIP reads merges[1 : 49152 - 256 - 2 + 1] of its 262,145-merge file; smaller
  // files are read whole.
  int64_t max_merges = 49152 - 256 - 2;
  // The id rows are padded with. Unset: the pad token of the Hugging Face tokenizer
  // folder the merges file sits in (Stable Diffusion 1.x pads with <|endoftext|>, 2.x
  // with "!", id 0), else 0 as clip.tokenize pads.
  std::optional<int64_t> pad_id;
};

// Rows of [SOT] + ids + [EOT], padded with the pad id to context_length, row-major.
struct TokenizedBatch {
  int64_t context_length = 0;
  std::vector<int64_t> ids;      // [rows() * context_length]
  std::vector<int64_t> lengths;  // ids used per row, SOT and EOT included, after truncation
  std::vector<bool> truncated;   // the prompt did not fit and lost its tail

  int64_t rows() const { return static_cast<int64_t>(lengths.size()); }
};

class ClipTokenizer {
 public:
  static constexpr int kContextLength = 77;

  // A merges file: a header line, then one "a b" merge per line; gzip or plain text.
  // The vocabulary is 256 byte symbols, the same with "</w>", one per merge, then
  // <|startoftext|> and <|endoftext|> (49406 and 49407 for CLIP's file).
  // In a Hugging Face tokenizer folder (special_tokens_map.json and/or
  // tokenizer_config.json next to it) it also takes the folder's pad token and
  // model_max_length; a pad token CLIPTokenizer would take by default when neither
  // names one, <|endoftext|>.
  // Throws bd::Error(ModelFiles) naming the file when it is missing or malformed, or
  // names a pad token outside the vocabulary.
  static ClipTokenizer from_file(const std::string& merges_path, TokenizerOptions options = {});

  // The same vocabulary and cache with another text fix.
  ClipTokenizer with_fix(TextFix fix) const;

  // BPE ids of one text, without SOT/EOT.
  std::vector<int64_t> encode(const std::string& text) const;
  // clip.tokenize(texts, context_length, truncate=True), with a warning per truncated
  // prompt instead of Blended Diffusion's RuntimeError.
  TokenizedBatch tokenize(const std::vector<std::string>& texts,
                          int context_length = kContextLength) const;
  // Ids back to text; "</w>" becomes a space, bytes that are no UTF-8 become U+FFFD.
  std::string decode(const std::vector<int64_t>& ids) const;

  int64_t sot() const;
  int64_t eot() const;
  int64_t pad_id() const;
  // The tokenizer folder's model_max_length, when it states one.
  std::optional<int64_t> model_max_length() const;
  int64_t vocab_size() const;
  int64_t merge_count() const;
  TextFix fix() const { return fix_; }
  const std::string& merges_path() const;
  // The vocabulary entry of an id, in CLIP's byte-to-unicode spelling ("cat</w>").
  const std::string& token(int64_t id) const;

 private:
  struct Vocab;
  struct Cache;
  ClipTokenizer(std::shared_ptr<const Vocab> vocab, std::shared_ptr<Cache> cache, TextFix fix);
  std::vector<int64_t> bpe(const std::string& word) const;

  std::shared_ptr<const Vocab> vocab_;
  std::shared_ptr<Cache> cache_;  // BPE results per word; shared by with_fix copies
  TextFix fix_ = TextFix::None;
};

}  // namespace bd::text
