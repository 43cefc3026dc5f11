#include "text/bpe_learner.h"

#include <map>
#include <unordered_map>

#include "core/unicode_text.h"
#include "io/atomic_file.h"
#include "text/text_clean.h"

namespace bd::text {

namespace {

// CLIP's bytes_to_unicode: printable bytes stand for themselves, the other 68 for U+0100 + n.
std::string byte_symbol(unsigned char byte) {
  static const std::vector<std::string> table = [] {
    const auto printable = [](int b) {
      return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    };
    std::vector<std::string> t(256);
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      const char32_t c = printable(b) ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
      core::append_utf8(t[b], c);
    }
    return t;
  }();
  return table[byte];
}

using Word = std::vector<std::string>;

}  // namespace

std::vector<std::pair<std::string, std::string>> learn_bpe(const std::vector<std::string>& corpus,
                                                           const BpeLearnOptions& options) {
  std::map<std::string, int64_t> frequency;  // ordered: the result must not depend on hashing
  for (const std::string& text : corpus)
    for (const std::string& word : split_words(clean_text(text, TextFix::None))) ++frequency[word];
  std::vector<std::pair<Word, int64_t>> words;
  for (const auto& [word, count] : frequency) {
    Word symbols;
    for (char c : word) symbols.push_back(byte_symbol(static_cast<unsigned char>(c)));
    symbols.back() += "</w>";
    words.emplace_back(std::move(symbols), count);
  }

  std::vector<std::pair<std::string, std::string>> merges;
  while (static_cast<int64_t>(merges.size()) < options.max_merges) {
    // The corpora are small (hundreds of distinct words): a full recount per merge is fine.
    std::map<std::pair<std::string, std::string>, int64_t> pairs;
    for (const auto& [symbols, count] : words)
      for (std::size_t i = 0; i + 1 < symbols.size(); ++i)
        pairs[{symbols[i], symbols[i + 1]}] += count;
    const std::pair<std::string, std::string>* best = nullptr;
    int64_t best_count = 0;
    for (const auto& [pair, count] : pairs)
      if (count > best_count) {  // strict: the first (smallest) pair wins ties
        best = &pair;
        best_count = count;
      }
    if (best == nullptr || best_count < options.min_pair_count) break;
    const auto merge = *best;
    merges.push_back(merge);
    for (auto& [symbols, count] : words) {
      Word merged;
      for (std::size_t i = 0; i < symbols.size(); ++i) {
        if (i + 1 < symbols.size() && symbols[i] == merge.first && symbols[i + 1] == merge.second) {
          merged.push_back(merge.first + merge.second);
          ++i;
        } else {
          merged.push_back(symbols[i]);
        }
      }
      symbols = std::move(merged);
    }
  }
  return merges;
}

std::string merges_file_text(const std::vector<std::pair<std::string, std::string>>& merges,
                             const std::string& comment) {
  std::string out = "#version: 0.2";
  if (!comment.empty()) out += " " + comment;
  out += "\n";
  for (const auto& [a, b] : merges) out += a + " " + b + "\n";
  return out;
}

void write_merges_file(const std::string& path,
                       const std::vector<std::pair<std::string, std::string>>& merges,
                       const std::string& comment) {
  io::write_file_atomically(path, merges_file_text(merges, comment));
}

}  // namespace bd::text
