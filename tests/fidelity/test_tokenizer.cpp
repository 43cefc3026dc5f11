// CLIP's BPE tokenizer against clip.tokenize's own output (tokenizer_*.pt, every
// prompt of every vector set), plus the spec's table, our own merges files, long
// prompts and bad vocabulary files.
#include <torch/torch.h>
#include <zlib.h>
#include <QtTest/QtTest>

#include <fstream>
#include <map>
#include <optional>

#include "bd/error.h"
#include "core/unicode_text.h"
#include "io/tensor_file.h"
#include "test_support.h"
#include "text/clip_tokenizer.h"
#include "text/html_unescape.h"
#include "text/text_clean.h"
#include "text/token_tensor.h"

using namespace bd;
using text::ClipTokenizer;
using text::TextFix;

namespace {

// CLIP's vocabulary, read once; nullopt when the machine does not have it.
const std::optional<ClipTokenizer>& clip_tokenizer() {
  static const std::optional<ClipTokenizer> tokenizer = []() -> std::optional<ClipTokenizer> {
    const std::string path = test::clip_vocab_path();
    if (path.empty()) return std::nullopt;
    return ClipTokenizer::from_file(path);
  }();
  return tokenizer;
}

#define REQUIRE_CLIP_VOCAB()                                                          \
  if (!clip_tokenizer()) {                                                            \
    QSKIP(                                                                            \
        "bpe_simple_vocab_16e6.txt.gz not found next to the reference vectors or in " \
        "../shared/refvectors (set BLENDIFF_REFVECTORS)");                            \
  }

std::vector<int64_t> row_of(const torch::Tensor& t, int64_t row) {
  const torch::Tensor r = t[row].to(torch::kInt64).contiguous();
  return std::vector<int64_t>(r.data_ptr<int64_t>(), r.data_ptr<int64_t>() + r.numel());
}

std::vector<int64_t> row_of(const text::TokenizedBatch& batch, int64_t row) {
  const auto begin = batch.ids.begin() + row * batch.context_length;
  return std::vector<int64_t>(begin, begin + batch.context_length);
}

QString show(const std::vector<int64_t>& ids) {
  QStringList parts;
  for (int64_t id : ids) {
    if (id != 0) parts << QString::number(id);
  }
  return parts.join(' ');
}

std::string write_text(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::string write_gzip(const std::string& path, const std::string& content) {
  gzFile file = gzopen(path.c_str(), "wb");
  gzwrite(file, content.data(), static_cast<unsigned>(content.size()));
  gzclose(file);
  return path;
}

// A vector set loaded once: its sidecar and tensors.
struct VectorSet {
  nlohmann::json sidecar;
  io::TensorFile tensors;
};

const VectorSet& vector_set(const std::string& path) {
  static std::map<std::string, VectorSet> sets;
  auto it = sets.find(path);
  if (it == sets.end())
    it = sets.emplace(path, VectorSet{test::read_sidecar(path), io::read_tensor_file(path)}).first;
  return it->second;
}

}  // namespace

class TestTokenizer : public QObject {
  Q_OBJECT
 private slots:
  void matchesReferenceVectors_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("index");
    const std::vector<std::string> files = test::reference_files("tokenizer_");
    QVERIFY2(!files.empty(), "no tokenizer_*.pt in the reference vectors");
    for (const std::string& file : files) {
      const nlohmann::json sidecar = test::read_sidecar(file);
      const QString stem = QFileInfo(QString::fromStdString(file)).completeBaseName();
      for (std::size_t i = 0; i < sidecar.at("prompts").size(); ++i) {
        QTest::addRow("%s/%d", qPrintable(stem), static_cast<int>(i))
            << QString::fromStdString(file) << static_cast<int>(i);
      }
    }
  }
  // Every prompt: `tokens` with ftfy as the identity, `tokens_real_ftfy` with our fixes.
  void matchesReferenceVectors() {
    QFETCH(QString, file);
    QFETCH(int, index);
    REQUIRE_CLIP_VOCAB();
    const VectorSet& set = vector_set(file.toStdString());
    const nlohmann::json& prompt = set.sidecar.at("prompts").at(index);
    const std::string text = prompt.at("text");
    const torch::Tensor& tokens = set.tensors.at("tokens");
    const int context_length = static_cast<int>(tokens.size(1));
    const ClipTokenizer& tokenizer = *clip_tokenizer();
    QCOMPARE(tokenizer.sot(), set.tensors.at("sot").item<int64_t>());
    QCOMPARE(tokenizer.eot(), set.tensors.at("eot").item<int64_t>());

    const text::TokenizedBatch plain = tokenizer.tokenize({text}, context_length);
    const std::vector<int64_t> expected = row_of(tokens, index);
    QVERIFY2(
        row_of(plain, 0) == expected,
        qPrintable(QString("got [%1]\nwant [%2]").arg(show(row_of(plain, 0)), show(expected))));
    QCOMPARE(plain.lengths[0], set.tensors.at("lengths")[index].item<int64_t>());
    QCOMPARE(plain.truncated[0], set.tensors.at("truncated")[index].item<int64_t>() != 0);
    QCOMPARE(static_cast<int64_t>(tokenizer.encode(text).size()),
             set.tensors.at("n_bpe")[index].item<int64_t>());

    const text::TokenizedBatch fixed =
        tokenizer.with_fix(TextFix::Ftfy).tokenize({text}, context_length);
    const std::vector<int64_t> expected_fixed = row_of(set.tensors.at("tokens_real_ftfy"), index);
    const bool sensitive = set.tensors.at("ftfy_sensitive")[index].item<int64_t>() != 0;
    QVERIFY2(row_of(fixed, 0) == expected_fixed,
             qPrintable(QString("ftfy%1: got [%2]\nwant [%3]")
                            .arg(sensitive ? " (sensitive)" : "", show(row_of(fixed, 0)),
                                 show(expected_fixed))));
  }

  void specTable_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("ids");
    QTest::newRow("rock") << "rock"
                          << "49406 2172 49407";
    QTest::newRow("photo") << "a photo of a cat"
                           << "49406 320 1125 539 320 2368 49407";
    QTest::newRow("punctuation") << "Hello,  World!!"
                                 << "49406 3306 267 1002 748 49407";
    QTest::newRow("contraction") << "don't stop"
                                 << "49406 847 713 1691 49407";
    QTest::newRow("whitespace") << "big  red\n\tball"
                                << "49406 1205 736 1069 49407";
  }
  void specTable() {
    QFETCH(QString, text);
    QFETCH(QString, ids);
    REQUIRE_CLIP_VOCAB();
    const text::TokenizedBatch batch = clip_tokenizer()->tokenize({text.toStdString()});
    QCOMPARE(batch.context_length, 77);
    QCOMPARE(show(row_of(batch, 0)), ids);
  }

  void clipVocabularyShape() {
    REQUIRE_CLIP_VOCAB();
    const ClipTokenizer& tokenizer = *clip_tokenizer();
    QCOMPARE(tokenizer.merge_count(), int64_t{48894});
    QCOMPARE(tokenizer.vocab_size(), int64_t{49408});
    QCOMPARE(tokenizer.sot(), int64_t{49406});
    QCOMPARE(tokenizer.eot(), int64_t{49407});
    QCOMPARE(tokenizer.token(0), std::string("!"));
    QCOMPARE(tokenizer.token(256), std::string("!</w>"));
    QCOMPARE(tokenizer.decode(tokenizer.encode("A photo of a CAT, don't!")),
             std::string("a photo of a cat , don 't ! "));
  }

  void longPromptTruncates() {
    REQUIRE_CLIP_VOCAB();
    std::string prompt;
    while (prompt.size() < 500) prompt += "a very long prompt with many words ";
    prompt.resize(500);
    const text::TokenizedBatch batch = clip_tokenizer()->tokenize({prompt, "short"});
    QCOMPARE(batch.rows(), int64_t{2});
    QVERIFY(batch.truncated[0]);
    QVERIFY(!batch.truncated[1]);
    QCOMPARE(batch.lengths[0], int64_t{77});
    const std::vector<int64_t> row = row_of(batch, 0);
    QCOMPARE(row.front(), clip_tokenizer()->sot());
    QCOMPARE(row.back(), clip_tokenizer()->eot());
    const std::vector<int64_t> all = clip_tokenizer()->encode(prompt);
    QVERIFY(std::equal(row.begin() + 1, row.end() - 1, all.begin()));

    const torch::Tensor t = text::tokenize_tensor(*clip_tokenizer(), {prompt, "short", ""});
    QCOMPARE(t.scalar_type(), torch::kInt64);
    QVERIFY(t.sizes() == torch::IntArrayRef({3, 77}));
    QCOMPARE(t[2][0].item<int64_t>(), int64_t{49406});
    QCOMPARE(t[2][1].item<int64_t>(), int64_t{49407});
    QCOMPARE(t[2].sum().item<int64_t>(), int64_t{49406 + 49407});
  }

  void emojiAndEmptyPrompts() {
    REQUIRE_CLIP_VOCAB();
    const ClipTokenizer& tokenizer = *clip_tokenizer();
    QVERIFY(tokenizer.encode("").empty());
    QVERIFY(tokenizer.encode(" \t\n ").empty());
    for (const char* prompt :
         {"🔥", "a cat 🐱 in a hat 🎩", "👨\u200d👩\u200d👧", "\xff\xfe broken utf-8"}) {
      const std::vector<int64_t> ids = tokenizer.encode(prompt);
      QVERIFY2(!ids.empty(), prompt);
      for (int64_t id : ids) QVERIFY(id >= 0 && id < tokenizer.sot());
    }
  }

  void htmlUnescape_data() {
    // Expected values from Python 3.11's html.unescape.
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("once");
    QTest::newRow("nested") << "&amp;amp;"
                            << "&amp;";
    QTest::newRow("decimal") << "&#39;"
                             << "'";
    QTest::newRow("hex") << "&#x27;"
                         << "'";
    QTest::newRow("legacy prefix") << "&notit;"
                                   << "¬it;";
    QTest::newRow("no semicolon") << "&ampx"
                                  << "&x";
    QTest::newRow("nul") << "&#0;"
                         << "\uFFFD";
    QTest::newRow("c1 as cp1252") << "&#128;"
                                  << "€";
    QTest::newRow("past unicode") << "&#x110000;"
                                  << "\uFFFD";
    QTest::newRow("dropped") << "&#1;x"
                             << "x";
    QTest::newRow("unknown") << "&bogus;"
                             << "&bogus;";
    QTest::newRow("not hex") << "&#xZ"
                             << "&#xZ";
    QTest::newRow("adjacent") << "&lt&gt"
                              << "<>";
    QTest::newRow("capital") << "&AMP;"
                             << "&";
    QTest::newRow("double amp") << "a&&amp;b"
                                << "a&&b";
    QTest::newRow("nbsp") << "a&nbsp;b"
                          << "a\u00A0b";
    QTest::newRow("two code points") << "&NotNestedGreaterGreater;"
                                     << "\u2AA2\u0338";
  }
  void htmlUnescape() {
    QFETCH(QString, input);
    QFETCH(QString, once);
    const std::u32string out = text::html_unescape(core::utf8_to_utf32(input.toStdString()));
    QCOMPARE(QString::fromStdString(core::utf32_to_utf8(out)), once);
  }

  void cleaning_data() {
    QTest::addColumn<QString>("input");
    QTest::addColumn<int>("fix");
    QTest::addColumn<QString>("cleaned");
    const int none = static_cast<int>(TextFix::None);
    const int ftfy = static_cast<int>(TextFix::Ftfy);
    QTest::newRow("full lowercase") << "İSTANBUL" << none << "i\u0307stanbul";
    QTest::newRow("final sigma") << "ΟΔΟΣ ΣΑΣ" << none << "οδος σας";
    QTest::newRow("whitespace") << " \u00A0a\u2003\t b\u3000" << none << "a b";
    QTest::newRow("entities twice") << "&amp;lt;3" << none << "<3";
    QTest::newRow("ftfy quotes") << "“it’s”" << ftfy << "\"it's\"";
    QTest::newRow("ftfy ligature") << "ﬁsh ﬅ" << ftfy << "fish \u017Ft";
    QTest::newRow("ftfy width") << "ＡＢＣ１" << ftfy << "abc1";
    QTest::newRow("ftfy nfc") << "cafe\u0301" << ftfy << "caf\u00E9";
    QTest::newRow("ftfy mojibake") << "cafÃ© â€\u201D ok" << ftfy << "café — ok";
    QTest::newRow("ftfy legit latin") << "naïve Zürich ¡Hola!" << ftfy << "naïve zürich ¡hola!";
    QTest::newRow("ftfy controls") << "a\x07"
                                      "b\x1b[31mc\u200Bd"
                                   << ftfy << "abc\u200Bd";
    QTest::newRow("ftfy c1") << "x\u0085y\u0080" << ftfy << "x…y€";
    QTest::newRow("ftfy html kept with tags") << "<b>&amp;amp;</b>" << ftfy << "<b>&</b>";
    QTest::newRow("ftfy caps entity") << "P&EACUTE;REZ" << ftfy << "pérez";
  }
  void cleaning() {
    QFETCH(QString, input);
    QFETCH(int, fix);
    QFETCH(QString, cleaned);
    const std::u32string out = text::clean_text(input.toStdString(), static_cast<TextFix>(fix));
    QCOMPARE(QString::fromStdString(core::utf32_to_utf8(out)), cleaned);
  }

  void splitsLikeClipRegex_data() {
    QTest::addColumn<QString>("input");
    QTest::addColumn<QStringList>("words");
    QTest::newRow("contractions") << "it's we'll 'sup"
                                  << QStringList{"it", "'s", "we", "'ll", "'s", "up"};
    QTest::newRow("long s contraction") << "it'\u017F" << QStringList{"it", "'\u017F"};
    QTest::newRow("digits") << "f/1.8 2024"
                            << QStringList{"f", "/", "1", ".", "8", "2", "0", "2", "4"};
    QTest::newRow("specials") << "a<|endoftext|>b !<|startoftext|>"
                              << QStringList{"a", "<|endoftext|>", "b", "!<|", "startoftext", "|>"};
    QTest::newRow("other runs") << "hello!!! ?'x" << QStringList{"hello", "!!!", "?'", "x"};
    QTest::newRow("zero width") << "zero\u200Bwidth" << QStringList{"zero", "\u200B", "width"};
  }
  void splitsLikeClipRegex() {
    QFETCH(QString, input);
    QFETCH(QStringList, words);
    QStringList got;
    for (const std::string& w : text::split_words(core::utf8_to_utf32(input.toStdString()))) {
      got << QString::fromStdString(w);
    }
    QCOMPARE(got, words);
  }

  // A merges file of our own: ids and special ids follow from its merge count.
  void ownMergesFile_data() {
    QTest::addColumn<bool>("gzipped");
    QTest::newRow("plain") << false;
    QTest::newRow("gzip") << true;
  }
  void ownMergesFile() {
    QFETCH(bool, gzipped);
    const std::string dir = test::scratch_dir("tokenizer_own");
    const std::string merges = "#version: 0.2\nc a\nca t</w>\nĠ c\nh a\nha t</w>\n\n";
    const std::string path =
        gzipped ? write_gzip(dir + "/toy.txt.gz", merges) : write_text(dir + "/toy.txt", merges);
    const ClipTokenizer tokenizer = ClipTokenizer::from_file(path);
    QCOMPARE(tokenizer.merge_count(), int64_t{5});
    QCOMPARE(tokenizer.vocab_size(), int64_t{256 + 256 + 5 + 2});
    QCOMPARE(tokenizer.sot(), int64_t{517});
    QCOMPARE(tokenizer.eot(), int64_t{518});
    QCOMPARE(tokenizer.token(513), std::string("cat</w>"));
    // "cat" is one merge result; "cab" stops at "ca" + "b</w>" ('b' is byte symbol 65).
    QCOMPARE(tokenizer.encode("Cat cab hat"), (std::vector<int64_t>{513, 512, 256 + 65, 516}));
    QCOMPARE(tokenizer.decode(tokenizer.encode("cat hat")), std::string("cat hat "));
    const text::TokenizedBatch batch = tokenizer.tokenize({"cat"}, 4);
    QCOMPARE(row_of(batch, 0), (std::vector<int64_t>{517, 513, 518, 0}));

    text::TokenizerOptions capped;
    capped.max_merges = 2;
    const ClipTokenizer small = ClipTokenizer::from_file(path, capped);
    QCOMPARE(small.merge_count(), int64_t{2});
    QCOMPARE(small.sot(), int64_t{514});
  }

  void rejectsBadFiles_data() {
    QTest::addColumn<QString>("content");
    QTest::addColumn<QString>("expected");
    QTest::newRow("empty") << ""
                           << "empty";
    QTest::newRow("three fields") << "#v\na b c\n"
                                  << "line 2";
    QTest::newRow("unknown symbol") << "#v\na b\nab cd\n"
                                    << "line 3";
    QTest::newRow("repeated") << "#v\na b\na b\n"
                              << "repeats";
    QTest::newRow("blank inside") << "#v\na b\n\nc d\n"
                                  << "line 3";
  }
  void rejectsBadFiles() {
    QFETCH(QString, content);
    QFETCH(QString, expected);
    const std::string path =
        write_text(test::scratch_dir("tokenizer_bad") + "/bad.txt", content.toStdString());
    try {
      ClipTokenizer::from_file(path);
      QFAIL("accepted a bad merges file");
    } catch (const Error& e) {
      QCOMPARE(e.kind(), ErrorKind::ModelFiles);
      const QString msg = e.what();
      QVERIFY2(msg.contains(QString::fromStdString(path)) && msg.contains(expected),
               qPrintable(msg));
    }
  }

  void rejectsMissingAndTruncatedFiles() {
    const std::string dir = test::scratch_dir("tokenizer_missing");
    const std::string whole =
        write_gzip(dir + "/whole.gz", "#version: 0.2\n" + std::string(20000, 'x'));
    std::ifstream in(whole, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    const std::string cut = write_text(dir + "/cut.txt.gz", bytes.substr(0, bytes.size() / 2));
    for (const std::string& path : {dir + "/no_such_vocab.txt.gz", cut}) {
      try {
        ClipTokenizer::from_file(path);
        QFAIL("accepted a missing or truncated file");
      } catch (const Error& e) {
        QCOMPARE(e.kind(), ErrorKind::ModelFiles);
        QVERIFY2(QString(e.what()).contains(QString::fromStdString(path)), e.what());
      }
    }
  }
};

QTEST_GUILESS_MAIN(TestTokenizer)
#include "test_tokenizer.moc"
