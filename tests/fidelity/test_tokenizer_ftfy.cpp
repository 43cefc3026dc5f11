// Our tokenizer with TextFix::Ftfy against openai/CLIP's SimpleTokenizer + clip.tokenize
// run with the real ftfy (its version is in the vector file's header) on generated prompts:
// mojibake of ten codecs (whole, embedded, doubled, lossy), curly quotes, HTML entities,
// emoji sequences, CJK, combining marks, right-to-left scripts, control characters,
// whitespace oddities and prompts that truncate.
#include <QtTest/QtTest>

#include <fstream>
#include <optional>
#include <sstream>

#include "core/log.h"
#include "core/unicode_text.h"
#include "test_support.h"
#include "text/clip_tokenizer.h"

using namespace bd;
using text::ClipTokenizer;

namespace {

const std::string kVectorFile =
    std::string(BLENDIFF_SOURCE_DIR) + "/tests/data/tokenizer/clip_ftfy_prompts.jsonl";
constexpr int kShownMismatches = 25;

struct Case {
  std::string prompt;
  std::vector<int64_t> ids;  // between SOT and EOT
};

struct VectorFile {
  nlohmann::json header;
  std::vector<Case> cases;
};

VectorFile read_vector_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  VectorFile file;
  std::string line;
  std::getline(in, line);
  file.header = nlohmann::json::parse(line);
  while (std::getline(in, line)) {
    const nlohmann::json row = nlohmann::json::parse(line);
    file.cases.push_back(
        {row.at("p").get<std::string>(), row.at("ids").get<std::vector<int64_t>>()});
  }
  return file;
}

// Python's ascii() spelling, so that controls, marks and look-alikes are visible.
std::string escaped(const std::string& utf8) {
  std::ostringstream out;
  out << '\'';
  for (char32_t c : core::utf8_to_utf32(utf8)) {
    if (c == U'\\' || c == U'\'') {
      out << '\\' << static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7F) {
      out << static_cast<char>(c);
    } else {
      char buffer[16];
      const char* format = c <= 0xFF ? "\\x%02x" : c <= 0xFFFF ? "\\u%04x" : "\\U%08x";
      std::snprintf(buffer, sizeof buffer, format, static_cast<unsigned>(c));
      out << buffer;
    }
  }
  out << '\'';
  return out.str();
}

std::string joined(const std::vector<int64_t>& ids) {
  std::string out;
  for (int64_t id : ids) out += (out.empty() ? "" : " ") + std::to_string(id);
  return out;
}

}  // namespace

class TestTokenizerFtfy : public QObject {
  Q_OBJECT
 private slots:
  void matchesClipWithRealFtfy() {
    const std::string vocab = test::clip_vocab_path();
    if (vocab.empty()) {
      QSKIP(
          "bpe_simple_vocab_16e6.txt.gz not found next to the reference vectors or in "
          "../shared/refvectors (set BLENDIFF_REFVECTORS)");
    }
    const VectorFile file = read_vector_file(kVectorFile);
    QVERIFY2(file.cases.size() >= 2000, "the vector file should hold at least 2000 prompts");
    QCOMPARE(file.cases.size(), file.header.at("count").get<std::size_t>());
    text::TokenizerOptions options;
    options.fix = text::TextFix::Ftfy;
    const ClipTokenizer tokenizer = ClipTokenizer::from_file(vocab, options);
    log::text()->set_level(spdlog::level::err);  // one truncation warning per long prompt
    const int context = file.header.at("context_length").get<int>();
    QCOMPARE(tokenizer.sot(), file.header.at("sot").get<int64_t>());
    QCOMPARE(tokenizer.eot(), file.header.at("eot").get<int64_t>());

    int mismatches = 0;
    for (const Case& c : file.cases) {
      const text::TokenizedBatch batch = tokenizer.tokenize({c.prompt}, context);
      const auto row = batch.ids.begin();
      const std::vector<int64_t> got(row + 1, row + batch.lengths[0] - 1);
      if (got == c.ids) continue;
      if (++mismatches <= kShownMismatches) {
        qWarning("%s\n  want %s\n  got  %s", escaped(c.prompt).c_str(), joined(c.ids).c_str(),
                 joined(got).c_str());
      }
    }
    const std::string summary =
        std::to_string(mismatches) + " of " + std::to_string(file.cases.size()) +
        " prompts differ from CLIP with ftfy " + file.header.at("ftfy").get<std::string>();
    QVERIFY2(mismatches == 0, summary.c_str());
  }
};

QTEST_GUILESS_MAIN(TestTokenizerFtfy)
#include "test_tokenizer_ftfy.moc"
