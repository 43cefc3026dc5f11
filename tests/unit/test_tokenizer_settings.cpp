// The pad token and model_max_length a Hugging Face tokenizer folder gives the CLIP
// tokenizer: Stable Diffusion 1.x pads with <|endoftext|>, 2.x with "!" (id 0), a bare
// merges file as clip.tokenize (0); and the errors for folders that say something wrong.
#include <QtTest/QtTest>

#include <fstream>

#include "bd/error.h"
#include "test_support.h"
#include "text/clip_tokenizer.h"
#include "text/hf_tokenizer_config.h"

using namespace bd;
using text::ClipTokenizer;

namespace {

// "cat" is one token: 256 byte symbols, 256 with "</w>", merges 512 "ca", 513 "cat</w>";
// <|startoftext|> is 514, <|endoftext|> 515.
constexpr int64_t kCat = 513;
constexpr int64_t kSot = 514;
constexpr int64_t kEot = 515;

void write_file(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

// A tokenizer folder with our merges and the given JSON files ("" leaves one out).
std::string folder(const std::string& name, const std::string& special_tokens_map,
                   const std::string& tokenizer_config) {
  const std::string dir = test::scratch_dir("tokenizer_settings_" + name);
  write_file(dir + "/merges.txt", "#version: 0.2\nc a\nca t</w>\n");
  if (!special_tokens_map.empty()) write_file(dir + "/special_tokens_map.json", special_tokens_map);
  if (!tokenizer_config.empty()) write_file(dir + "/tokenizer_config.json", tokenizer_config);
  return dir;
}

// As Stable Diffusion 1.5's tokenizer/ writes them (trimmed).
const std::string kSd1SpecialTokens = R"({
  "bos_token": {"content": "<|startoftext|>", "lstrip": false, "normalized": true, "rstrip": false, "single_word": false},
  "eos_token": {"content": "<|endoftext|>", "lstrip": false, "normalized": true, "rstrip": false, "single_word": false},
  "pad_token": "<|endoftext|>",
  "unk_token": {"content": "<|endoftext|>", "lstrip": false, "normalized": true, "rstrip": false, "single_word": false}
})";
const std::string kSd1TokenizerConfig = R"({
  "add_prefix_space": false, "do_lower_case": true, "errors": "replace", "model_max_length": 77,
  "name_or_path": "openai/clip-vit-large-patch14", "pad_token": "<|endoftext|>",
  "special_tokens_map_file": "./special_tokens_map.json", "tokenizer_class": "CLIPTokenizer"
})";
// As Stable Diffusion 2.1-base's: "!" as an AddedToken object in one file.
const std::string kSd2SpecialTokens = R"({
  "bos_token": {"content": "<|startoftext|>", "lstrip": false, "normalized": true, "rstrip": false, "single_word": false},
  "eos_token": {"content": "<|endoftext|>", "lstrip": false, "normalized": true, "rstrip": false, "single_word": false},
  "pad_token": {"content": "!", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false},
  "unk_token": "<|endoftext|>"
})";
const std::string kSd2TokenizerConfig = R"({
  "add_prefix_space": false, "do_lower_case": true, "model_max_length": 77, "pad_token": "!",
  "tokenizer_class": "CLIPTokenizer"
})";

std::vector<int64_t> row(const text::TokenizedBatch& batch, int64_t r) {
  const auto begin = batch.ids.begin() + r * batch.context_length;
  return std::vector<int64_t>(begin, begin + batch.context_length);
}

void expect_model_files_error(const std::string& merges, const QString& file,
                              const QString& detail) {
  try {
    ClipTokenizer::from_file(merges);
    QFAIL(qPrintable("accepted a folder whose " + file + " is wrong"));
  } catch (const Error& e) {
    QCOMPARE(e.kind(), ErrorKind::ModelFiles);
    const QString message = e.what();
    QVERIFY2(message.contains(file) && message.contains(detail), qPrintable(message));
  }
}

}  // namespace

class TestTokenizerSettings : public QObject {
  Q_OBJECT
 private slots:
  void padsAsTheFolderSays_data() {
    QTest::addColumn<QString>("special_tokens_map");
    QTest::addColumn<QString>("tokenizer_config");
    QTest::addColumn<qlonglong>("pad");
    QTest::addColumn<qlonglong>("max_length");  // -1: none stated
    QTest::newRow("sd1") << QString::fromStdString(kSd1SpecialTokens)
                         << QString::fromStdString(kSd1TokenizerConfig) << qlonglong{kEot}
                         << qlonglong{77};
    QTest::newRow("sd2") << QString::fromStdString(kSd2SpecialTokens)
                         << QString::fromStdString(kSd2TokenizerConfig) << qlonglong{0}
                         << qlonglong{77};
    QTest::newRow("sd2 special tokens only")
        << QString::fromStdString(kSd2SpecialTokens) << QString() << qlonglong{0} << qlonglong{-1};
    QTest::newRow("config only, object")
        << QString() << R"({"pad_token": {"content": "!"}})" << qlonglong{0} << qlonglong{-1};
    // transformers: special_tokens_map.json's tokens override tokenizer_config.json's.
    QTest::newRow("special tokens map wins")
        << R"({"pad_token": "!"})" << QString::fromStdString(kSd1TokenizerConfig) << qlonglong{0}
        << qlonglong{77};
    // CLIPTokenizer's default pad token when no file names one.
    QTest::newRow("no pad token named")
        << QString() << R"({"model_max_length": 64})" << qlonglong{kEot} << qlonglong{64};
    QTest::newRow("null pad token")
        << R"({"pad_token": null})" << QString() << qlonglong{kEot} << qlonglong{-1};
    // transformers writes int(1e30) for "no limit".
    QTest::newRow("no length limit")
        << QString() << R"({"model_max_length": 1000000000000000019884624838656})"
        << qlonglong{kEot} << qlonglong{-1};
    QTest::newRow("no length limit as float")
        << QString() << R"({"model_max_length": 1e30})" << qlonglong{kEot} << qlonglong{-1};
  }
  void padsAsTheFolderSays() {
    QFETCH(QString, special_tokens_map);
    QFETCH(QString, tokenizer_config);
    QFETCH(qlonglong, pad);
    QFETCH(qlonglong, max_length);
    const std::string dir = folder(QTest::currentDataTag(), special_tokens_map.toStdString(),
                                   tokenizer_config.toStdString());
    const ClipTokenizer tokenizer = ClipTokenizer::from_file(dir + "/merges.txt");
    QCOMPARE(tokenizer.eot(), kEot);
    QCOMPARE(tokenizer.pad_id(), int64_t{pad});
    QCOMPARE(tokenizer.model_max_length().value_or(-1), int64_t{max_length});

    const text::TokenizedBatch batch = tokenizer.tokenize({"cat", "cat cat cat cat"}, 6);
    QCOMPARE(row(batch, 0), (std::vector<int64_t>{kSot, kCat, kEot, pad, pad, pad}));
    QCOMPARE(batch.lengths, (std::vector<int64_t>{3, 6}));
    QCOMPARE(row(batch, 1), (std::vector<int64_t>{kSot, kCat, kCat, kCat, kCat, kEot}));
    QCOMPARE(batch.truncated, (std::vector<bool>{false, false}));

    const text::TokenizedBatch cut = tokenizer.tokenize({"cat cat cat cat cat"}, 6);
    QCOMPARE(row(cut, 0), (std::vector<int64_t>{kSot, kCat, kCat, kCat, kCat, kEot}));
    QCOMPARE(cut.lengths[0], int64_t{6});
    QVERIFY(cut.truncated[0]);
  }

  // A merges file alone pads as clip.tokenize, with 0; an explicit pad id wins over all.
  void bareMergesFileAndExplicitPad() {
    const std::string bare = folder("bare", "", "");
    const ClipTokenizer plain = ClipTokenizer::from_file(bare + "/merges.txt");
    QCOMPARE(plain.pad_id(), int64_t{0});
    QVERIFY(!plain.model_max_length());
    QCOMPARE(row(plain.tokenize({"cat"}, 4), 0), (std::vector<int64_t>{kSot, kCat, kEot, 0}));

    const std::string sd1 = folder("explicit", kSd1SpecialTokens, kSd1TokenizerConfig);
    text::TokenizerOptions options;
    options.pad_id = 7;
    const ClipTokenizer chosen = ClipTokenizer::from_file(sd1 + "/merges.txt", options);
    QCOMPARE(row(chosen.tokenize({"cat"}, 4), 0), (std::vector<int64_t>{kSot, kCat, kEot, 7}));
    QCOMPARE(chosen.with_fix(text::TextFix::Ftfy).pad_id(), int64_t{7});

    options.pad_id = 516;
    try {
      ClipTokenizer::from_file(sd1 + "/merges.txt", options);
      QFAIL("accepted a pad id outside the vocabulary");
    } catch (const Error& e) {
      QCOMPARE(e.kind(), ErrorKind::InvalidInput);
      QVERIFY2(QString(e.what()).contains("516"), e.what());
    }
  }

  void unknownPadTokenNamesTheFile() {
    const std::string dir = folder("unknown", R"({"pad_token": "<pad>"})", kSd1TokenizerConfig);
    expect_model_files_error(dir + "/merges.txt",
                             QString::fromStdString(dir + "/special_tokens_map.json"),
                             "pad token \"<pad>\" is not in the vocabulary");
  }

  void badFilesNameTheFile_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("content");
    QTest::addColumn<QString>("detail");
    QTest::newRow("malformed") << "tokenizer_config.json"
                               << R"({"pad_token": "!",)"
                               << "is not valid JSON";
    QTest::newRow("empty") << "special_tokens_map.json"
                           << ""
                           << "is not valid JSON";
    QTest::newRow("not an object") << "tokenizer_config.json"
                                   << "[1, 2]"
                                   << "holds an array, expected a JSON object";
    QTest::newRow("pad token number") << "special_tokens_map.json"
                                      << R"({"pad_token": 5})"
                                      << "\"pad_token\" is a number, expected a string";
    QTest::newRow("pad token without content") << "special_tokens_map.json"
                                               << R"({"pad_token": {"lstrip": false}})"
                                               << "without a string \"content\"";
    QTest::newRow("negative length") << "tokenizer_config.json"
                                     << R"({"model_max_length": -1})"
                                     << "negative";
    QTest::newRow("zero length") << "tokenizer_config.json"
                                 << R"({"model_max_length": 0})"
                                 << "is 0";
    QTest::newRow("string length") << "tokenizer_config.json"
                                   << R"({"model_max_length": "77"})"
                                   << "expected a positive integer";
    QTest::newRow("fractional length") << "tokenizer_config.json"
                                       << R"({"model_max_length": 76.5})"
                                       << "expected a positive integer";
    // Every problem of a file at once.
    QTest::newRow("two problems")
        << "tokenizer_config.json"
        << R"({"pad_token": [], "model_max_length": -3})"
        << "\"pad_token\" is an array, expected a string or {\"content\": "
           "...}; \"model_max_length\" is -3, negative";
  }
  void badFilesNameTheFile() {
    QFETCH(QString, file);
    QFETCH(QString, content);
    QFETCH(QString, detail);
    const std::string dir = folder(QTest::currentDataTag(), "", "");
    write_file(dir + "/" + file.toStdString(), content.toStdString());
    expect_model_files_error(dir + "/merges.txt", QString::fromStdString(dir + "/") + file, detail);
  }
};

QTEST_GUILESS_MAIN(TestTokenizerSettings)
#include "test_tokenizer_settings.moc"
