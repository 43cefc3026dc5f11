#include "text/clip_tokenizer.h"

#include <zlib.h>

#include <array>
#include <filesystem>
#include <limits>
#include <mutex>
#include <unordered_map>

#include "bd/error.h"
#include "core/log.h"
#include "core/unicode_text.h"
#include "text/hf_tokenizer_config.h"
#include "text/text_clean.h"

namespace bd::text {

namespace {

constexpr const char* kStartOfText = "<|startoftext|>";
constexpr const char* kEndOfText = "<|endoftext|>";
constexpr const char* kEndOfWord = "</w>";
constexpr std::size_t kMaxCachedWords = 1 << 16;

// CLIP's bytes_to_unicode, as the list of bytes in vocabulary order: the printable
// bytes keep their code point, the other 68 follow as U+0100 + n.
struct ByteSymbols {
  std::array<unsigned char, 256> byte_of_index{};  // vocabulary order -> byte
  std::array<char32_t, 256> symbol_of_byte{};      // byte -> its unicode stand-in
  std::unordered_map<char32_t, unsigned char> byte_of_symbol;

  ByteSymbols() {
    const auto printable = [](int b) {
      return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    };
    int index = 0;
    for (int b = 0; b < 256; ++b) {
      if (printable(b)) {
        byte_of_index[index++] = static_cast<unsigned char>(b);
        symbol_of_byte[b] = static_cast<char32_t>(b);
      }
    }
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      if (!printable(b)) {
        byte_of_index[index++] = static_cast<unsigned char>(b);
        symbol_of_byte[b] = static_cast<char32_t>(256 + n++);
      }
    }
    for (int b = 0; b < 256; ++b) byte_of_symbol[symbol_of_byte[b]] = static_cast<unsigned char>(b);
  }
};

const ByteSymbols& byte_symbols() {
  static const ByteSymbols table;
  return table;
}

Error file_error(const std::string& path, const std::string& what) {
  return Error(ErrorKind::ModelFiles, "BPE merges file '" + path + "': " + what);
}

std::string read_maybe_gzipped(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw file_error(path, "not found");
  // gzread passes a file that is not gzip through unchanged.
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) throw file_error(path, "cannot be opened");
  std::string data;
  std::array<char, 1 << 16> buffer{};
  int n = 0;
  while ((n = gzread(file, buffer.data(), static_cast<unsigned>(buffer.size()))) > 0) {
    data.append(buffer.data(), static_cast<std::size_t>(n));
  }
  int status = Z_OK;
  const std::string message = gzerror(file, &status);
  gzclose(file);
  if (n < 0 || (status != Z_OK && status != Z_STREAM_END)) {
    throw file_error(path, "corrupt gzip data (" + message + ")");
  }
  return data;
}

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t i = 0;
  const auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
  };
  while (i < line.size()) {
    while (i < line.size() && space(line[i])) ++i;
    std::size_t j = i;
    while (j < line.size() && !space(line[j])) ++j;
    if (j > i) fields.push_back(line.substr(i, j - i));
    i = j;
  }
  return fields;
}

std::uint64_t pair_key(int64_t a, int64_t b) {
  return (static_cast<std::uint64_t>(a) << 32) | static_cast<std::uint64_t>(b);
}

}  // namespace

struct ClipTokenizer::Vocab {
  std::string path;
  std::vector<std::string> tokens;  // id -> byte-to-unicode spelling
  std::unordered_map<std::string, int64_t> ids;
  struct Merge {
    int64_t rank;
    int64_t result;
  };
  std::unordered_map<std::uint64_t, Merge> merges;  // (left id, right id) -> merge
  int64_t merge_count = 0;
  int64_t sot = 0;
  int64_t eot = 0;
  int64_t pad = 0;
  std::optional<int64_t> model_max_length;

  int64_t add(std::string token) {
    const auto id = static_cast<int64_t>(tokens.size());
    ids.emplace(token, id);
    tokens.push_back(std::move(token));
    return id;
  }
};

struct ClipTokenizer::Cache {
  std::mutex mutex;
  std::unordered_map<std::string, std::vector<int64_t>> words;
};

ClipTokenizer::ClipTokenizer(std::shared_ptr<const Vocab> vocab, std::shared_ptr<Cache> cache,
                             TextFix fix)
    : vocab_(std::move(vocab)), cache_(std::move(cache)), fix_(fix) {}

ClipTokenizer ClipTokenizer::from_file(const std::string& merges_path, TokenizerOptions options) {
  const std::string data = read_maybe_gzipped(merges_path);
  if (data.empty()) throw file_error(merges_path, "is empty (expected a header line and merges)");
  if (core::utf32_to_utf8(core::utf8_to_utf32(data)) != data)
    throw file_error(merges_path, "is not UTF-8 text");

  auto vocab = std::make_shared<Vocab>();
  vocab->path = merges_path;
  const ByteSymbols& bytes = byte_symbols();
  for (unsigned char b : bytes.byte_of_index) {
    std::string symbol;
    core::append_utf8(symbol, bytes.symbol_of_byte[b]);
    vocab->add(symbol);
  }
  for (int i = 0; i < 256; ++i) vocab->add(vocab->tokens[i] + kEndOfWord);

  // Line 0 is the version header; merges follow, one per line.
  std::size_t pos = data.find('\n');
  std::size_t line_number = 1;
  while (pos != std::string::npos && pos + 1 < data.size() &&
         vocab->merge_count < options.max_merges) {
    const std::size_t begin = pos + 1;
    pos = data.find('\n', begin);
    const std::string line =
        data.substr(begin, pos == std::string::npos ? std::string::npos : pos - begin);
    ++line_number;
    const std::vector<std::string> fields = split_fields(line);
    if (fields.empty() && data.find_first_not_of(" \t\r\n", begin) == std::string::npos) break;
    const std::string where = "line " + std::to_string(line_number) + ": ";
    if (fields.size() != 2)
      throw file_error(merges_path, where + "expected a merge \"a b\", got \"" + line + "\"");
    const auto left = vocab->ids.find(fields[0]);
    const auto right = vocab->ids.find(fields[1]);
    if (left == vocab->ids.end() || right == vocab->ids.end()) {
      throw file_error(merges_path,
                       where + "merge \"" + line + "\" uses a symbol no earlier line defines");
    }
    const std::string merged = fields[0] + fields[1];
    if (vocab->ids.count(merged) != 0) {
      throw file_error(merges_path,
                       where + "merge \"" + line + "\" repeats the symbol \"" + merged + "\"");
    }
    vocab->merges.emplace(pair_key(left->second, right->second),
                          Vocab::Merge{vocab->merge_count, vocab->add(merged)});
    ++vocab->merge_count;
  }
  vocab->sot = vocab->add(kStartOfText);
  vocab->eot = vocab->add(kEndOfText);
  if (const auto folder = read_hf_tokenizer_folder(merges_path)) {
    // CLIPTokenizer's own default when neither file names a pad token.
    const std::string pad_token = folder->pad_token.value_or(kEndOfText);
    const auto it = vocab->ids.find(pad_token);
    if (it == vocab->ids.end()) {
      throw Error(ErrorKind::ModelFiles,
                  "tokenizer settings '" + folder->pad_token_file + "': pad token \"" + pad_token +
                      "\" is not in the vocabulary of '" + merges_path + "'");
    }
    vocab->pad = it->second;
    vocab->model_max_length = folder->model_max_length;
  }
  if (options.pad_id) {
    if (*options.pad_id < 0 || *options.pad_id >= static_cast<int64_t>(vocab->tokens.size())) {
      throw Error(ErrorKind::InvalidInput, "pad id " + std::to_string(*options.pad_id) +
                                               " is outside the vocabulary of " +
                                               std::to_string(vocab->tokens.size()) + " tokens");
    }
    vocab->pad = *options.pad_id;
  }
  log::text()->debug("BPE vocabulary from '{}': {} merges, {} tokens, pad id {}", merges_path,
                     vocab->merge_count, vocab->tokens.size(), vocab->pad);
  return ClipTokenizer(std::move(vocab), std::make_shared<Cache>(), options.fix);
}

ClipTokenizer ClipTokenizer::with_fix(TextFix fix) const {
  return ClipTokenizer(vocab_, cache_, fix);
}

int64_t ClipTokenizer::sot() const { return vocab_->sot; }
int64_t ClipTokenizer::eot() const { return vocab_->eot; }
int64_t ClipTokenizer::pad_id() const { return vocab_->pad; }
std::optional<int64_t> ClipTokenizer::model_max_length() const { return vocab_->model_max_length; }
int64_t ClipTokenizer::vocab_size() const { return static_cast<int64_t>(vocab_->tokens.size()); }
int64_t ClipTokenizer::merge_count() const { return vocab_->merge_count; }
const std::string& ClipTokenizer::merges_path() const { return vocab_->path; }

const std::string& ClipTokenizer::token(int64_t id) const {
  if (id < 0 || id >= vocab_size()) {
    throw Error(ErrorKind::InvalidInput, "token id " + std::to_string(id) +
                                             " is outside the vocabulary of " +
                                             std::to_string(vocab_size()));
  }
  return vocab_->tokens[static_cast<std::size_t>(id)];
}

// simple_tokenizer.bpe: merge the lowest-ranked adjacent pair everywhere, left to
// right, until no adjacent pair is a merge. The last byte carries "</w>".
std::vector<int64_t> ClipTokenizer::bpe(const std::string& word) const {
  if (word == kStartOfText) return {vocab_->sot};
  if (word == kEndOfText) return {vocab_->eot};
  {
    std::lock_guard<std::mutex> lock(cache_->mutex);
    if (auto it = cache_->words.find(word); it != cache_->words.end()) return it->second;
  }
  // Byte b's symbol has id = its place in vocabulary order; "</w>" adds 256.
  static const std::array<int64_t, 256> id_of_byte = [] {
    std::array<int64_t, 256> ids{};
    const ByteSymbols& bytes = byte_symbols();
    for (int i = 0; i < 256; ++i) ids[bytes.byte_of_index[i]] = i;
    return ids;
  }();
  std::vector<int64_t> symbols;
  symbols.reserve(word.size());
  for (char c : word) symbols.push_back(id_of_byte[static_cast<unsigned char>(c)]);
  symbols.back() += 256;

  while (symbols.size() > 1) {
    const Vocab::Merge* best = nullptr;
    std::uint64_t best_key = 0;
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
      const std::uint64_t key = pair_key(symbols[i], symbols[i + 1]);
      const auto it = vocab_->merges.find(key);
      if (it != vocab_->merges.end() && (best == nullptr || it->second.rank < best->rank)) {
        best = &it->second;
        best_key = key;
      }
    }
    if (best == nullptr) break;
    std::vector<int64_t> merged;
    merged.reserve(symbols.size());
    for (std::size_t i = 0; i < symbols.size(); ++i) {
      if (i + 1 < symbols.size() && pair_key(symbols[i], symbols[i + 1]) == best_key) {
        merged.push_back(best->result);
        ++i;
      } else {
        merged.push_back(symbols[i]);
      }
    }
    symbols = std::move(merged);
  }

  std::lock_guard<std::mutex> lock(cache_->mutex);
  if (cache_->words.size() >= kMaxCachedWords) cache_->words.clear();
  cache_->words.emplace(word, symbols);
  return symbols;
}

std::vector<int64_t> ClipTokenizer::encode(const std::string& text) const {
  std::vector<int64_t> ids;
  for (const std::string& word : split_words(clean_text(text, fix_))) {
    const std::vector<int64_t> pieces = bpe(word);
    ids.insert(ids.end(), pieces.begin(), pieces.end());
  }
  return ids;
}

TokenizedBatch ClipTokenizer::tokenize(const std::vector<std::string>& texts,
                                       int context_length) const {
  if (context_length < 2) {
    throw Error(ErrorKind::InvalidInput, "context length " + std::to_string(context_length) +
                                             " leaves no room for SOT and EOT");
  }
  TokenizedBatch batch;
  batch.context_length = context_length;
  batch.ids.assign(texts.size() * static_cast<std::size_t>(context_length), pad_id());
  for (std::size_t row = 0; row < texts.size(); ++row) {
    std::vector<int64_t> ids = encode(texts[row]);
    ids.insert(ids.begin(), sot());
    ids.push_back(eot());
    const bool truncated = ids.size() > static_cast<std::size_t>(context_length);
    if (truncated) {
      log::text()->warn(
          "prompt {} has {} tokens, more than the {} CLIP reads; keeping the first {}", row,
          ids.size() - 2, context_length - 2, context_length - 2);
      ids.resize(static_cast<std::size_t>(context_length));
      ids.back() = eot();
    }
    std::copy(ids.begin(), ids.end(),
              batch.ids.begin() + static_cast<std::ptrdiff_t>(row * context_length));
    batch.lengths.push_back(static_cast<int64_t>(ids.size()));
    batch.truncated.push_back(truncated);
  }
  return batch;
}

std::string ClipTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string symbols;
  for (int64_t id : ids) symbols += token(id);
  std::string bytes;
  const ByteSymbols& table = byte_symbols();
  for (char32_t c : core::utf8_to_utf32(symbols))
    bytes.push_back(static_cast<char>(table.byte_of_symbol.at(c)));
  std::string text = core::utf32_to_utf8(core::utf8_to_utf32(bytes));
  for (std::size_t at = text.find(kEndOfWord); at != std::string::npos;
       at = text.find(kEndOfWord, at + 1)) {
    text.replace(at, 4, " ");
  }
  return text;
}

}  // namespace bd::text
