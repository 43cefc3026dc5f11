// Image files: lossless round trips per format/depth/channels, PNG text chunks, EXIF
// orientation (committed fixtures and spliced-in eXIf), and every bad file refused with
// an error that names it; saving never leaves a half-written or temporary file.
#include <zlib.h>
#include <QtTest/QtTest>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "bd/error.h"
#include "bd/image.h"
#include "test_images.h"
#include "test_support.h"

using namespace bd;
using test::gradient_image;
using test::random_image;
namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

// A TIFF stream with IFD0 holding only the orientation tag (what EXIF payloads are).
std::string exif_tiff(int orientation) {
  std::string t("II*\0\x08\0\0\0", 8);
  t += std::string("\x01\0\x12\x01\x03\0\x01\0\0\0", 10);
  t += static_cast<char>(orientation);
  t += std::string(7, '\0');  // value padding + next-IFD offset 0
  return t;
}

std::string png_with_exif(const std::string& png, int orientation) {
  const std::string data = exif_tiff(orientation);
  const std::string typed = "eXIf" + data;
  const auto crc =
      ::crc32(0, reinterpret_cast<const Bytef*>(typed.data()), static_cast<uInt>(typed.size()));
  return png.substr(0, 33) + be32(static_cast<std::uint32_t>(data.size())) + typed +
         be32(static_cast<std::uint32_t>(crc)) + png.substr(33);
}

int pixel(const Image& im, int x, int y, int c) {
  const std::size_t i = (static_cast<std::size_t>(y) * im.width + x) * im.channels + c;
  if (im.depth == 16) {
    std::uint16_t v;
    std::memcpy(&v, im.data.data() + 2 * i, 2);
    return v;
  }
  return im.data[i];
}

// Displayed (x, y) -> stored pixel, per the EXIF specification's eight cases.
std::pair<int, int> stored_of(int o, int x, int y, int w, int h) {
  switch (o) {
    case 2:
      return {w - 1 - x, y};
    case 3:
      return {w - 1 - x, h - 1 - y};
    case 4:
      return {x, h - 1 - y};
    case 5:
      return {y, x};
    case 6:
      return {y, h - 1 - x};
    case 7:
      return {w - 1 - y, h - 1 - x};
    case 8:
      return {w - 1 - y, x};
    default:
      return {x, y};
  }
}

bool no_temporaries(const std::string& dir) {
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp-") != std::string::npos) return false;
  return true;
}

}  // namespace

class TestImageFile : public QObject {
  Q_OBJECT
 private slots:
  void roundTrips_data() {
    QTest::addColumn<QString>("ext");
    QTest::addColumn<int>("channels");
    QTest::addColumn<int>("depth");
    QTest::addColumn<int>("tolerance");  // max per-sample difference; 0 = lossless
    QTest::newRow("png rgb8") << ".png" << 3 << 8 << 0;
    QTest::newRow("png rgb16") << ".png" << 3 << 16 << 0;
    QTest::newRow("png gray8") << ".png" << 1 << 8 << 0;
    QTest::newRow("png gray16") << ".png" << 1 << 16 << 0;
    QTest::newRow("png rgba8") << ".PNG" << 4 << 8 << 0;
    QTest::newRow("png rgba16") << ".png" << 4 << 16 << 0;
    QTest::newRow("tiff rgb8") << ".tif" << 3 << 8 << 0;
    QTest::newRow("tiff rgba16") << ".tiff" << 4 << 16 << 0;
    QTest::newRow("tiff gray16") << ".tiff" << 1 << 16 << 0;
    QTest::newRow("bmp rgb8") << ".bmp" << 3 << 8 << 0;
    QTest::newRow("bmp gray8") << ".bmp" << 1 << 8 << 0;
    QTest::newRow("webp rgb8 lossless") << ".webp" << 3 << 8 << 0;
    QTest::newRow("webp rgba8 lossless") << ".webp" << 4 << 8 << 0;
    QTest::newRow("jpeg rgb8") << ".jpg" << 3 << 8 << 12;
    QTest::newRow("jpeg gray8") << ".jpeg" << 1 << 8 << 12;
  }
  void roundTrips() {
    QFETCH(QString, ext);
    QFETCH(int, channels);
    QFETCH(int, depth);
    QFETCH(int, tolerance);
    const Image in =
        tolerance == 0 ? random_image(37, 23, channels, depth) : gradient_image(48, 32, channels);
    const std::string path = test::scratch_dir("image_roundtrip") + "/image" + ext.toStdString();
    save_image(path, in);
    const Image out = load_image(path);
    QCOMPARE(out.width, in.width);
    QCOMPARE(out.height, in.height);
    QCOMPARE(out.channels, in.channels);
    QCOMPARE(out.depth, in.depth);
    if (tolerance == 0 && ext == ".webp" && channels == 4) {
      // libwebp's lossless mode keeps colours only where alpha > 0 (OpenCV cannot ask
      // for its "exact" mode), so compare what is visible.
      for (std::size_t i = 0; i < in.data.size(); i += 4)
        if (in.data[i + 3] != 0) QVERIFY(std::equal(&in.data[i], &in.data[i] + 4, &out.data[i]));
    } else if (tolerance == 0) {
      QVERIFY(out.data == in.data);
    } else {
      int worst = 0;
      for (std::size_t i = 0; i < in.data.size(); ++i)
        worst = std::max(worst, std::abs(in.data[i] - out.data[i]));
      QVERIFY2(worst <= tolerance, qPrintable(QString("max difference %1").arg(worst)));
    }
  }

  void adaptsToWhatFormatsHold_data() {
    QTest::addColumn<QString>("ext");
    QTest::addColumn<int>("channels");
    QTest::addColumn<int>("depth");
    QTest::addColumn<int>("readChannels");
    QTest::addColumn<int>("readDepth");
    QTest::newRow("16-bit to jpeg") << ".jpg" << 3 << 16 << 3 << 8;
    QTest::newRow("alpha to jpeg") << ".jpg" << 4 << 8 << 3 << 8;
    QTest::newRow("16-bit to webp") << ".webp" << 4 << 16 << 4 << 8;
    QTest::newRow("gray to webp") << ".webp" << 1 << 8 << 3 << 8;
    QTest::newRow("alpha to bmp") << ".bmp" << 4 << 8 << 3 << 8;
  }
  void adaptsToWhatFormatsHold() {
    QFETCH(QString, ext);
    QFETCH(int, channels);
    QFETCH(int, depth);
    QFETCH(int, readChannels);
    QFETCH(int, readDepth);
    const std::string path = test::scratch_dir("image_adapt") + "/image" + ext.toStdString();
    save_image(path, random_image(16, 8, channels, depth));
    const Image out = load_image(path);
    QCOMPARE(out.channels, readChannels);
    QCOMPARE(out.depth, readDepth);
  }

  void pngTextRoundTrips() {
    const std::string dir = test::scratch_dir("image_text");
    const std::map<std::string, std::string> text = {
        {"parameters", "a red barn, steps: 100, seed: 7\nnegative: blurry"},
        {"Comment", "caf\xC3\xA9 cr\xC3\xA8me"},                  // Latin-1 range: tEXt
        {"prompt", "\xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x99\x82"},  // beyond Latin-1: iTXt
        {"empty", ""},
    };
    save_image(dir + "/t.png", random_image(5, 4, 3, 8), text);
    QCOMPARE(read_png_text(dir + "/t.png"), text);
    const std::string bytes = slurp(dir + "/t.png");
    // Right after IHDR (8 + 25 bytes), so readers that stop at IDAT still see them.
    QCOMPARE(bytes.substr(37, 4), std::string("tEXt"));
    QVERIFY(bytes.find("iTXt") != std::string::npos);
    QVERIFY(bytes.find(std::string("Comment\0caf\xE9", 12)) !=
            std::string::npos);  // stored as Latin-1
    // The pixels still decode (libpng checks the chunk CRCs).
    QCOMPARE(load_image(dir + "/t.png").data, random_image(5, 4, 3, 8).data);

    save_image(dir + "/t.jpg", random_image(5, 4, 3, 8), text);
    QVERIFY(read_png_text(dir + "/t.jpg").empty());
    // Written by ImageMagick, after IDAT.
    QCOMPARE(read_png_text(source_path_of("gray_alpha.png")).at("date:create"),
             std::string("2026-11-28T13:18:15+00:00"));
  }

  // JPEG and WebP carry "parameters" as EXIF UserComment (UNICODE, UTF-16BE, big-endian
  // TIFF: what piexif writes for AUTOMATIC1111), and the pixels still decode.
  void jpegAndWebpCarryParameters_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("channels");
    QTest::newRow("jpeg rgb") << "t.jpg" << 3;
    QTest::newRow("webp rgb") << "t.webp" << 3;
    QTest::newRow("webp rgba") << "t.webp" << 4;
    QTest::newRow("jpeg gray") << "g.jpeg" << 1;
  }
  void jpegAndWebpCarryParameters() {
    QFETCH(QString, name);
    QFETCH(int, channels);
    const std::string dir = test::scratch_dir("image_exif_text");
    const std::string path = dir + "/" + name.toStdString();
    const std::string parameters =
        "a red barn \xF0\x9F\x8E\xA8 caf\xC3\xA9\nSteps: 100, Sampler: DDPM, Seed: 7, Score: 0.81";
    const Image image = random_image(24, 16, channels, 8);
    save_image(path, image, {{"parameters", parameters}, {"ignored", "only PNG has room for it"}});
    QCOMPARE(read_image_text(path), (std::map<std::string, std::string>{{"parameters", parameters}}));
    const Image back = load_image(path);
    QCOMPARE(back.width, 24);
    QCOMPARE(back.height, 16);
    const std::string bytes = slurp(path);
    QVERIFY(bytes.find(std::string("MM\0*", 4)) != std::string::npos);
    QVERIFY(bytes.find(std::string("UNICODE\0", 8)) != std::string::npos);
    if (name.endsWith(".webp")) {
      QCOMPARE(bytes.substr(12, 4), std::string("VP8X"));
      QVERIFY(bytes[20] & 0x08);  // the EXIF flag
      QCOMPARE(bool(bytes[20] & 0x10), channels == 4);
      QCOMPARE(back.data, image.data);  // lossless, alpha kept
    } else {
      QCOMPARE(bytes.substr(2, 2), std::string("\xFF\xE0"));  // JFIF's APP0 stays first
      QVERIFY(bytes.find("Exif\0\0", 0) != std::string::npos);
    }
    // Saving again over it replaces the comment rather than adding a second one.
    save_image(path, image, {{"parameters", "second"}});
    QCOMPARE(read_image_text(path).at("parameters"), std::string("second"));
    QCOMPARE(slurp(path).find("UNICODE"), slurp(path).rfind("UNICODE"));
  }

  void jpegParametersTooLongAreRefused() {
    const std::string dir = test::scratch_dir("image_exif_long");
    const std::string huge(40000, 'x');  // 80000 bytes as UTF-16: over one APP1 segment
    QVERIFY_THROWS_EXCEPTION(Error, save_image(dir + "/t.jpg", random_image(4, 4, 3, 8), {{"parameters", huge}}));
    QVERIFY(!std::filesystem::exists(dir + "/t.jpg"));
    save_image(dir + "/t.webp", random_image(4, 4, 3, 8), {{"parameters", huge}});  // RIFF chunks are 32-bit
    QCOMPARE(read_image_text(dir + "/t.webp").at("parameters"), huge);
  }

  void pngTextRefusesBadEntries_data() {
    QTest::addColumn<QString>("keyword");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<QString>("expected");
    QTest::newRow("empty keyword") << "" << QByteArray("x") << "keyword";
    QTest::newRow("leading space") << " a" << QByteArray("x") << "keyword";
    QTest::newRow("too long") << QString(80, 'k') << QByteArray("x") << "keyword";
    QTest::newRow("not utf-8") << "k" << QByteArray("\xff\xfe") << "not valid UTF-8";
    QTest::newRow("nul") << "k" << QByteArray("a\0b", 3) << "NUL";
  }
  void pngTextRefusesBadEntries() {
    QFETCH(QString, keyword);
    QFETCH(QByteArray, value);
    QFETCH(QString, expected);
    const std::string path = test::scratch_dir("image_text_bad") + "/t.png";
    try {
      save_image(path, random_image(2, 2, 3, 8), {{keyword.toStdString(), value.toStdString()}});
      QFAIL("accepted a bad text entry");
    } catch (const Error& e) {
      QCOMPARE(e.kind(), ErrorKind::InvalidInput);
      QVERIFY2(QString(e.what()).contains(expected), e.what());
      QVERIFY2(QString(e.what()).contains(QString::fromStdString(path)), e.what());
    }
    QVERIFY(!fs::exists(path));
  }

  void appliesOrientationFromFixtures_data() {
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<int>("orientation");
    QTest::newRow("jpeg 3 (180)") << "orient3.jpg" << 3;
    QTest::newRow("jpeg 6 (90 cw, big-endian)") << "orient6.jpg" << 6;
    QTest::newRow("jpeg 8 (90 ccw)") << "orient8.jpg" << 8;
    QTest::newRow("tiff 6 (ImageMagick -orient)") << "orient6.tif" << 6;
  }
  void appliesOrientationFromFixtures() {
    QFETCH(QString, fixture);
    QFETCH(int, orientation);
    // Stored: 3x2 blocks of 8 px, red green blue / white black yellow (make_fixtures.py).
    const Image im = load_image(source_path_of(fixture.toStdString()));
    const int blocks_w = orientation == 3 ? 3 : 2;
    QCOMPARE(im.width, blocks_w * 8);
    QCOMPARE(im.height, (5 - blocks_w) * 8);
    const int colours[2][3][3] = {{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}},
                                  {{255, 255, 255}, {0, 0, 0}, {255, 255, 0}}};
    for (int by = 0; by < im.height / 8; ++by)
      for (int bx = 0; bx < im.width / 8; ++bx) {
        const auto [sx, sy] = stored_of(orientation, bx, by, 3, 2);
        for (int c = 0; c < 3; ++c)
          QVERIFY2(std::abs(pixel(im, bx * 8 + 4, by * 8 + 4, c) - colours[sy][sx][c]) < 16,
                   qPrintable(QString("block %1,%2 channel %3").arg(bx).arg(by).arg(c)));
      }
  }

  void appliesExifOrientationFromPng_data() {
    QTest::addColumn<int>("orientation");
    for (int o = 1; o <= 9; ++o)
      QTest::newRow(qPrintable(QString::number(o))) << o;  // 9: invalid, ignored
  }
  void appliesExifOrientationFromPng() {
    QFETCH(int, orientation);
    const std::string dir = test::scratch_dir("image_exif_png");
    const Image stored = random_image(5, 3, 3, 16);
    save_image(dir + "/plain.png", stored);
    spit(dir + "/oriented.png", png_with_exif(slurp(dir + "/plain.png"), orientation));
    const Image shown = load_image(dir + "/oriented.png");
    const bool swaps = orientation >= 5 && orientation <= 8;
    QCOMPARE(shown.width, swaps ? 3 : 5);
    QCOMPARE(shown.height, swaps ? 5 : 3);
    for (int y = 0; y < shown.height; ++y)
      for (int x = 0; x < shown.width; ++x) {
        const auto [sx, sy] = stored_of(orientation, x, y, 5, 3);
        for (int c = 0; c < 3; ++c) QCOMPARE(pixel(shown, x, y, c), pixel(stored, sx, sy, c));
      }
  }

  void convertsCmykAndGrayAlpha() {
    const Image cmyk = load_image(source_path_of("cmyk.jpg"));
    QCOMPARE(cmyk.channels, 3);
    QCOMPARE(cmyk.width, 24);
    QVERIFY(pixel(cmyk, 4, 4, 0) > 200 && pixel(cmyk, 4, 4, 1) < 60);    // red block stays red
    QVERIFY(pixel(cmyk, 20, 4, 2) > 200 && pixel(cmyk, 20, 4, 0) < 60);  // blue block
    const Image ga = load_image(source_path_of("gray_alpha.png"));
    QCOMPARE(ga.channels, 4);
    QCOMPARE(ga.width, 6);
    for (int x = 0; x < 6; ++x) {
      QCOMPARE(pixel(ga, x, 2, 0), pixel(ga, x, 2, 1));
      QCOMPARE(pixel(ga, x, 2, 0), pixel(ga, x, 2, 2));
    }
    QVERIFY(pixel(ga, 0, 0, 3) != pixel(ga, 5, 0, 3));  // alpha survives
  }

  void refusesBadFiles_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing") << "missing"
                             << "no such file";
    QTest::newRow("empty") << "empty"
                           << "empty (0 bytes)";
    QTest::newRow("text") << "text"
                          << "not an image file (unrecognised format)";
    QTest::newRow("directory") << "directory"
                               << "is a directory";
    QTest::newRow("truncated png") << "truncated"
                                   << "cannot decode the PNG data";
    QTest::newRow("corrupt jpeg") << "corrupt jpeg"
                                  << "cannot decode the JPEG data";
    QTest::newRow("huge png header") << "huge"
                                     << "larger than the limit of 32768 pixels per side";
    QTest::newRow("too many pixels") << "many"
                                     << "more than the limit of 268435456 pixels";
  }
  void refusesBadFiles() {
    QFETCH(QString, kind);
    QFETCH(QString, expected);
    const std::string dir = test::scratch_dir("image_bad");
    std::string path = dir + "/bad.png";
    save_image(dir + "/good.png", random_image(64, 64, 3, 8));
    const std::string good = slurp(dir + "/good.png");
    if (kind == "missing") path = dir + "/nothing-here.png";
    if (kind == "empty") spit(path, "");
    if (kind == "text") spit(path, "just some words, not pixels\n");
    if (kind == "directory") fs::create_directory(path);
    if (kind == "truncated") spit(path, good.substr(0, good.size() / 2));
    if (kind == "corrupt jpeg")
      spit(path, std::string("\xFF\xD8\xFF\xE0", 4) + std::string(200, '\x13'));
    if (kind == "huge")
      spit(path, good.substr(0, 16) + be32(100000) + be32(100000) + good.substr(24));
    if (kind == "many")
      spit(path, good.substr(0, 16) + be32(30000) + be32(30000) + good.substr(24));
    try {
      load_image(path);
      QFAIL("accepted a bad file");
    } catch (const Error& e) {
      QCOMPARE(e.kind(), ErrorKind::InvalidInput);
      QVERIFY2(QString(e.what()).contains(expected), e.what());
      QVERIFY2(QString(e.what()).startsWith(QString::fromStdString(path) + ": "), e.what());
    }
  }

  void saveIsAtomic() {
    const std::string dir = test::scratch_dir("image_atomic");
    const std::string path = dir + "/keep.png";
    save_image(path, random_image(8, 8, 3, 8));
    const std::string before = slurp(path);

    const auto expect_refusal = [&](const std::string& target, const Image& im, int quality,
                                    const char* expected) {
      try {
        save_image(target, im, {}, quality);
        QFAIL("saved what it should have refused");
      } catch (const Error& e) {
        QVERIFY2(QString(e.what()).contains(expected), e.what());
        QVERIFY2(QString(e.what()).contains(QString::fromStdString(target)), e.what());
      }
    };
    expect_refusal(dir + "/keep.xyz", random_image(8, 8, 3, 8), 95,
                   "unsupported file extension '.xyz'");
    Image lying = random_image(8, 8, 3, 8);
    lying.data.resize(10);
    expect_refusal(path, lying, 95, "pixel data has 10 bytes");
    expect_refusal(dir + "/keep.jpg", random_image(8, 8, 3, 8), 0, "JPEG quality");
    expect_refusal(dir + "/no/such/dir/x.png", random_image(8, 8, 3, 8), 95, "temporary file");
    QCOMPARE(slurp(path), before);
    QVERIFY(!fs::exists(dir + "/keep.xyz"));
    QVERIFY(!fs::exists(dir + "/keep.jpg"));
    QVERIFY(no_temporaries(dir));

    save_image(path, random_image(8, 8, 3, 8, 2));  // replacing works and cleans up too
    QVERIFY(slurp(path) != before);
    QVERIFY(no_temporaries(dir));
  }

 private:
  static std::string source_path_of(const std::string& fixture) {
    return test::source_path("tests/data/images/" + fixture);
  }
};

QTEST_GUILESS_MAIN(TestImageFile)
#include "test_image_file.moc"
