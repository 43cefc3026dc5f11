// The edit region: rows over image kinds (depths, channels, aspect ratios, images
// smaller than the model) and mask kinds. Whatever the sampler returns, pixels outside
// the feather band must come back bit-identical; the box must hold the mask and its
// feather band; invert, grow and feather must do what they say.
#include <QtTest/QtTest>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cstring>

#include "bd/error.h"
#include "bd/image.h"
#include "editing/mask.h"
#include "editing/region.h"
#include "io/image_file.h"
#include "test_images.h"

using namespace bd;
using test::gradient_image;
using test::random_image;

namespace {

// Mask kinds, all "edit here" over the same shape: a disc a third of the short side
// wide, centred at (cx, cy) given as fractions of the size.
Image make_mask(int w, int h, const QString& kind, double cx = 0.5, double cy = 0.5) {
  const int r = std::max(2, std::min(w, h) / 6);
  const cv::Point centre(static_cast<int>(cx * (w - 1)), static_cast<int>(cy * (h - 1)));
  if (kind == "gray8") {
    cv::Mat m = cv::Mat::zeros(h, w, CV_8UC1);
    cv::circle(m, centre, r, 255, cv::FILLED);
    return io::image_from_mat(m);
  }
  if (kind == "rgb8 low values") {  // any nonzero first channel counts, even 1
    cv::Mat m = cv::Mat::zeros(h, w, CV_8UC3);
    cv::circle(m, centre, r, cv::Scalar(1, 0, 0), cv::FILLED);
    return io::image_from_mat(m);
  }
  if (kind == "alpha only") {  // black paint on a transparent layer
    cv::Mat m = cv::Mat::zeros(h, w, CV_8UC4);
    cv::circle(m, centre, r, cv::Scalar(0, 0, 0, 200), cv::FILLED);
    return io::image_from_mat(m);
  }
  cv::Mat m = cv::Mat::zeros(h, w, CV_16UC1);  // "gray16"
  cv::circle(m, centre, r, 65535, cv::FILLED);
  return io::image_from_mat(m);
}

cv::Mat full_alpha(const Image& mask, const editing::RegionParams& p) {
  cv::Mat b = editing::binarize_mask(mask);
  if (p.invert) cv::bitwise_not(b, b);
  return editing::feather_mask(editing::grow_mask(b, p.grow_px), p.feather_px);
}

cv::Mat random_edit(int s, unsigned seed = 3) {
  cv::Mat m(s, s, CV_32FC3);
  cv::RNG rng(seed);
  rng.fill(m, cv::RNG::UNIFORM, -1.0, 1.0);
  return m;
}

std::string sample_of(const Image& im, std::size_t pixel) {
  const std::size_t n = im.bytes_per_pixel();
  return std::string(reinterpret_cast<const char*>(im.data.data()) + pixel * n, n);
}

void expect_error(const std::function<void()>& f, const QString& expected) {
  try {
    f();
    QFAIL("no error");
  } catch (const Error& e) {
    QCOMPARE(e.kind(), ErrorKind::InvalidInput);
    QVERIFY2(QString(e.what()).contains(expected), e.what());
  }
}

}  // namespace

class TestEditRegion : public QObject {
  Q_OBJECT
 private slots:
  void compositeTouchesOnlyTheFeatherBand_data() {
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("channels");
    QTest::addColumn<int>("depth");
    QTest::addColumn<QString>("maskKind");
    QTest::addColumn<double>("cx");
    QTest::addColumn<int>("feather");
    struct Kind {
      const char* name;
      int w, h, c, d;
    };
    const Kind images[] = {
        {"rgb8", 300, 200, 3, 8},     {"rgb16", 300, 200, 3, 16},   {"gray8", 240, 240, 1, 8},
        {"gray16", 150, 170, 1, 16},  {"rgba8", 200, 260, 4, 8},    {"rgba16", 90, 90, 4, 16},
        {"wide 3:1", 600, 200, 3, 8}, {"tall 1:3", 200, 600, 3, 8}, {"tiny 20x20", 20, 20, 3, 8}};
    const char* masks[] = {"gray8", "rgb8 low values", "alpha only", "gray16"};
    for (const Kind& im : images)
      for (const char* mask : masks)
        for (double cx : {0.5, 0.02})  // centred, and hugging the left border
          QTest::newRow(qPrintable(QString("%1 / %2 / x=%3").arg(im.name, mask).arg(cx)))
              << im.w << im.h << im.c << im.d << QString(mask) << cx << (im.w < 50 ? 2 : 6);
  }
  void compositeTouchesOnlyTheFeatherBand() {
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(int, channels);
    QFETCH(int, depth);
    QFETCH(QString, maskKind);
    QFETCH(double, cx);
    QFETCH(int, feather);
    constexpr int s = 64;
    const Image image = random_image(width, height, channels, depth);
    const Image mask = make_mask(width, height, maskKind, cx);
    editing::RegionParams params;
    params.feather_px = feather;
    const editing::PreparedRegion r = editing::prepare_region(image, mask, s, params);

    // Model-side shapes and ranges.
    QCOMPARE(r.model_rgb.type(), CV_32FC3);
    QCOMPARE(r.model_rgb.size(), cv::Size(s, s));
    QCOMPARE(r.model_mask.type(), CV_32FC1);
    QCOMPARE(r.model_mask.size(), cv::Size(s, s));
    double lo, hi;
    cv::minMaxLoc(r.model_rgb.reshape(1), &lo, &hi);
    QVERIFY(lo >= -1.0 && hi <= 1.0);
    QVERIFY(cv::countNonZero(r.model_mask) > 0);
    QVERIFY(cv::countNonZero((r.model_mask != 0) & (r.model_mask != 1)) == 0);
    QCOMPARE(r.alpha_full.size(), r.box.size());

    // The box lies in the image, holds the mask and every pixel the feather reaches.
    QVERIFY((r.box & cv::Rect(0, 0, width, height)) == r.box);
    const cv::Mat alpha = full_alpha(mask, params);
    QCOMPARE(cv::countNonZero(alpha) - cv::countNonZero(alpha(r.box)), 0);
    const cv::Rect mask_box = cv::boundingRect(editing::binarize_mask(mask));
    QVERIFY((mask_box & r.box) == mask_box);
    // Square unless the image is too small in one direction; aspect kept either way.
    if (r.box.width != r.box.height) QVERIFY(r.box.width == width || r.box.height == height);
    const double box_aspect = static_cast<double>(r.box.width) / r.box.height;
    const double model_aspect = static_cast<double>(r.model_content.width) / r.model_content.height;
    QVERIFY2(std::abs(box_aspect / model_aspect - 1.0) < 0.05,
             qPrintable(QString::number(model_aspect)));

    const cv::Mat edit = random_edit(s);
    const Image out = editing::composite_region(image, r, edit);
    QCOMPARE(out.width, width);
    QCOMPARE(out.channels, channels);
    QCOMPARE(out.depth, depth);
    QCOMPARE(out.data.size(), image.data.size());
    // A preview's patch is exactly the box of the composited result.
    const Image patch = editing::composite_box(image, r, edit);
    QCOMPARE(patch.width, r.box.width);
    QCOMPARE(patch.height, r.box.height);
    QCOMPARE(patch.channels, channels);
    QCOMPARE(patch.depth, depth);
    const std::size_t pixel = out.bytes_per_pixel(), row = r.box.width * pixel;
    for (int y = 0; y < r.box.height; ++y)
      QVERIFY(std::memcmp(patch.data.data() + y * row,
                          out.data.data() + ((r.box.y + y) * std::size_t(width) + r.box.x) * pixel,
                          row) == 0);
    const cv::Mat binary = editing::binarize_mask(mask);
    std::size_t changed_in_mask = 0, in_mask = 0;
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x) {
        const std::size_t i = static_cast<std::size_t>(y) * width + x;
        const std::string before = sample_of(image, i), after = sample_of(out, i);
        if (alpha.at<float>(y, x) == 0.f) {
          if (before != after)
            QFAIL(qPrintable(QString("pixel %1,%2 outside the band changed").arg(x).arg(y)));
          continue;
        }
        if (channels == 4) {  // the original's alpha is kept
          const std::size_t a = before.size() - before.size() / 4;
          if (before.substr(a) != after.substr(a)) QFAIL("alpha channel changed");
        }
        if (binary.at<std::uint8_t>(y, x) != 0) {
          ++in_mask;
          changed_in_mask += before != after;
        }
      }
    QVERIFY(in_mask > 0);
    QVERIFY2(changed_in_mask * 10 >= in_mask * 9,
             qPrintable(QString("%1 of %2").arg(changed_in_mask).arg(in_mask)));
  }

  // Pasting the model's own input back must land where it came from (no shift or
  // flip), including the reflected-padding path of a mask as wide as the image.
  void unchangedModelImageComesBackInPlace_data() {
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<bool>("fullWidth");
    QTest::newRow("square box") << 400 << 300 << false;
    QTest::newRow("wide, padded in the model") << 600 << 200 << true;
    QTest::newRow("tiny, upscaled") << 20 << 20 << false;
  }
  void unchangedModelImageComesBackInPlace() {
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(bool, fullWidth);
    const Image image = gradient_image(width, height);
    cv::Mat m = cv::Mat::zeros(height, width, CV_8UC1);
    if (fullWidth)
      m.rowRange(height / 3, 2 * height / 3).setTo(255);
    else
      cv::rectangle(m, cv::Rect(width / 3, height / 3, width / 4, height / 4), 255, cv::FILLED);
    const editing::PreparedRegion r = editing::prepare_region(image, io::image_from_mat(m), 64);
    if (fullWidth) {
      QCOMPARE(r.box.width, width);
      QVERIFY(r.model_content.height < 64);  // the rest is reflected padding
    }
    const Image out = editing::composite_region(image, r, r.model_rgb);
    double worst = 0;
    for (std::size_t i = 0; i < image.data.size(); ++i)
      worst = std::max(worst, std::abs(double(image.data[i]) - out.data[i]));
    QVERIFY2(worst <= 6, qPrintable(QString("max difference %1").arg(worst)));
  }

  void invertGrowAndFeather() {
    const int w = 200, h = 150;
    const Image mask = make_mask(w, h, "gray8");
    const cv::Mat binary = editing::binarize_mask(mask);
    const int area = cv::countNonZero(binary);

    editing::RegionParams inverted;
    inverted.invert = true;
    const editing::PreparedRegion ri =
        editing::prepare_region(random_image(w, h, 3, 8), mask, 32, inverted);
    QCOMPARE(ri.box, cv::Rect(0, 0, w, h));  // the inverse reaches every border
    QCOMPARE(cv::countNonZero(full_alpha(mask, inverted) == 1.f), w * h - area);

    QVERIFY(cv::countNonZero(editing::grow_mask(binary, 5)) > area);
    QVERIFY(cv::countNonZero(editing::grow_mask(binary, -5)) < area);
    QCOMPARE(cv::countNonZero(editing::grow_mask(binary, 0)), area);
    // A disc of radius r grown by 5 is (nearly) a disc of radius r + 5.
    const double r = std::min(w, h) / 6;
    const double grown = cv::countNonZero(editing::grow_mask(binary, 5));
    QVERIFY2(std::abs(grown / (CV_PI * (r + 5) * (r + 5)) - 1.0) < 0.05,
             qPrintable(QString::number(grown)));

    const int f = 7;
    const cv::Mat alpha = editing::feather_mask(binary, f);
    QCOMPARE(cv::countNonZero(alpha == 1.f), area);  // the mask itself is fully edited
    const cv::Mat soft = (alpha > 0.f) & (alpha < 1.f);
    QVERIFY(cv::countNonZero(soft) > 0);
    // The band is every pixel within f px of the mask and nothing at f + 1 px or more.
    QCOMPARE(cv::countNonZero(soft & ~editing::grow_mask(binary, f + 1)), 0);
    QCOMPARE(cv::countNonZero(editing::grow_mask(binary, f) & ~binary & ~soft), 0);
    cv::Mat hard;
    binary.convertTo(hard, CV_32F, 1.0 / 255.0);
    QCOMPARE(cv::countNonZero(editing::feather_mask(binary, 0) != hard), 0);
    double lo, hi;
    cv::minMaxLoc(alpha, &lo, &hi);
    QVERIFY(lo == 0.0 && hi == 1.0);
  }

  void refusesBadInput() {
    const Image image = random_image(100, 80, 3, 8);
    expect_error([&] { editing::prepare_region(image, make_mask(90, 80, "gray8"), 64); },
                 "mask is 90x80 but the image is 100x80");
    Image empty = make_mask(100, 80, "gray8");
    std::fill(empty.data.begin(), empty.data.end(), 0);
    expect_error([&] { editing::prepare_region(image, empty, 64); },
                 "mask is empty: paint the region to edit");
    Image full = empty;
    std::fill(full.data.begin(), full.data.end(), 255);
    editing::RegionParams inverted;
    inverted.invert = true;
    expect_error([&] { editing::prepare_region(image, full, 64, inverted); }, "mask is empty");
    editing::RegionParams shrink;
    shrink.grow_px = -100;
    expect_error([&] { editing::prepare_region(image, make_mask(100, 80, "gray8"), 64, shrink); },
                 "mask is empty after shrinking it by 100 px");
    const editing::PreparedRegion r =
        editing::prepare_region(image, make_mask(100, 80, "gray8"), 64);
    expect_error([&] { editing::composite_region(image, r, random_edit(32)); },
                 "must be 64x64 float RGB");
    expect_error([&] { editing::composite_region(random_image(10, 10, 3, 8), r, random_edit(64)); },
                 "prepared for 100x80");
  }
};

QTEST_GUILESS_MAIN(TestEditRegion)
#include "test_edit_region.moc"
