// libFuzzer target: a Hugging Face tokenizer folder's special_tokens_map.json and
// tokenizer_config.json (the same bytes as both), read directly and as a folder next to
// a merges file. Whatever the bytes, the reader returns settings or throws bd::Error
// naming the file; a length it returns is positive.
#include "bd/error.h"
#include "fuzz_support.h"
#include "text/hf_tokenizer_config.h"

namespace {

void check(const bd::text::HfTokenizerConfig& config) {
  if (config.model_max_length && *config.model_max_length <= 0) __builtin_trap();
  if (config.pad_token && config.pad_token_file.empty()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    check(bd::text::parse_hf_tokenizer_json(text, "fuzz.json"));
  } catch (const bd::Error& e) {
    if (std::string(e.what()).find("fuzz.json") == std::string::npos) __builtin_trap();
  }
  const std::string dir = bd::fuzz::input_dir("tokenizer");
  bd::fuzz::input_file("tokenizer/special_tokens_map.json", data, size);
  bd::fuzz::input_file("tokenizer/tokenizer_config.json", data, size);
  try {
    const auto config = bd::text::read_hf_tokenizer_folder(dir + "/merges.txt");
    if (!config) __builtin_trap();  // both files are there
    check(*config);
  } catch (const bd::Error&) {
  }
  return 0;
}
