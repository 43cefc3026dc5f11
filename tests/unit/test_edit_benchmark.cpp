// The ToyWorld edit benchmark's measures: background differences outside the mask and
// its feather band, the rates of the summary (ranked-first vs every candidate, CLIP's
// verdict vs the oracle's), held-out case seeds, and one short run against the engine.
#include <QtTest/QtTest>

#include "bd/engine.h"
#include "bd/error.h"
#include "test_pack.h"
#include "test_support.h"
#include "toyworld/edit_benchmark.h"

using namespace bd;
using namespace bd::toyworld;

namespace {

Image flat_rgb(int size, std::uint8_t v) {
  Image img;
  img.width = img.height = size;
  img.channels = 3;
  img.data.assign(static_cast<std::size_t>(size) * size * 3, v);
  return img;
}

void set_pixel(Image& img, int x, int y, std::uint8_t v) {
  for (int c = 0; c < img.channels; ++c) img.data[(static_cast<std::size_t>(y) * img.width + x) * img.channels + c] = v;
}

CandidateScore scored(bool colour, bool shape, bool clip_yes) {
  CandidateScore s;
  s.colour_ok = colour;
  s.shape_ok = shape;
  s.clip_says_ok = clip_yes;
  return s;
}

}  // namespace

class TestEditBenchmark : public QObject {
  Q_OBJECT
 private slots:
  void identical_background_is_capped_and_zero() {
    const Image a = flat_rgb(16, 100);
    const Image mask = test::rect_mask(16, 16, 4, 4, 12, 12);
    const BackgroundDiff d = background_diff(a, a, mask, 2);
    QCOMPARE(d.psnr_db, kPsnrCapDb);
    QCOMPARE(d.max_abs, 0);
    QCOMPARE(d.max_abs_outside_band, 0);
  }

  void changes_inside_the_mask_do_not_count() {
    const Image a = flat_rgb(16, 100);
    Image b = a;
    set_pixel(b, 6, 6, 0);  // inside the mask
    const BackgroundDiff d = background_diff(a, b, test::rect_mask(16, 16, 4, 4, 12, 12), 2);
    QCOMPARE(d.max_abs, 0);
    QCOMPARE(d.psnr_db, kPsnrCapDb);
  }

  void feather_band_separates_near_from_far_changes() {
    const Image a = flat_rgb(16, 100);
    const Image mask = test::rect_mask(16, 16, 4, 4, 12, 12);
    Image near = a, far = a;
    set_pixel(near, 13, 6, 110);  // one pixel right of the mask: in a 2 px band
    set_pixel(far, 0, 0, 130);    // a corner: outside the band
    const BackgroundDiff dn = background_diff(a, near, mask, 2);
    QCOMPARE(dn.max_abs, 10);
    QCOMPARE(dn.max_abs_outside_band, 0);
    const BackgroundDiff df = background_diff(a, far, mask, 2);
    QCOMPARE(df.max_abs_outside_band, 30);
    // One pixel of 3 channels off by 30 among (256 - 64) * 3 samples.
    const double mse = 3.0 * 30 * 30 / ((256 - 64) * 3);
    QVERIFY(std::abs(df.psnr_db - 10 * std::log10(255.0 * 255.0 / mse)) < 1e-9);
  }

  void mismatched_sizes_are_refused() {
    QVERIFY_THROWS_EXCEPTION(Error, background_diff(flat_rgb(16, 0), flat_rgb(8, 0), test::rect_mask(16, 16, 0, 0, 4, 4), 1));
  }

  void summary_separates_ranked_first_from_all_and_counts_adversarial() {
    CaseResult a;  // ranked first right; one CLIP-approved failure behind it
    a.candidates = {scored(true, true, true), scored(true, false, true), scored(false, false, false)};
    a.seconds = 2;
    CaseResult b;  // ranked first has the colour only, and CLIP approves it
    b.candidates = {scored(true, false, true), scored(false, true, false), scored(true, true, false)};
    b.seconds = 4;
    const EditBenchmarkSummary s = summarize({a, b});
    QCOMPARE(s.cases, 2);
    QCOMPARE(s.candidates_per_case, 3);
    QCOMPARE(s.top1_colour.hits, 2);
    QCOMPARE(s.top1_shape.hits, 1);
    QCOMPARE(s.top1_joint.hits, 1);
    QCOMPARE(s.mean_colour.hits, 4);
    QCOMPARE(s.mean_colour.total, 6);
    QCOMPARE(s.mean_shape.hits, 3);
    QCOMPARE(s.mean_joint.hits, 2);
    QCOMPARE(s.clip_says_ok.hits, 3);
    QCOMPARE(s.adversarial.hits, 2);
    QCOMPARE(s.adversarial.total, 6);
    QCOMPARE(s.adversarial_of_clip_yes.hits, 2);
    QCOMPARE(s.adversarial_of_clip_yes.total, 3);
    QCOMPARE(s.mean_seconds_per_edit, 3.0);
  }

  void cases_are_held_out_and_deterministic() {
    const EditCase a = benchmark_case(7), b = benchmark_case(7);
    QCOMPARE(a.prompt, b.prompt);
    QCOMPARE(a.scene.image.data, b.scene.image.data);
    QCOMPARE(a.mask.data, b.mask.data);
    QVERIFY_THROWS_EXCEPTION(Error, benchmark_case(kTrainingSeedBit | 7));
  }

  // The reference test pack's random networks: the numbers mean nothing, the plumbing does.
  void short_run_on_the_engine_keeps_the_background() {
    const auto engine = Engine::load(load_model_pack(test::make_reference_test_pack(test::scratch_dir("benchmark_pack"))));
    EditBenchmarkOptions o;
    o.cases = 2;
    o.params.timestep_respacing = "4";
    o.params.skip_timesteps = 1;
    o.params.batch_size = 2;
    o.params.iterations = 1;
    o.params.aug_num = 2;
    o.params.clip_lambda = 100;
    int seen = 0;
    const EditBenchmarkReport r =
        run_edit_benchmark(*engine, o, [&](int, const CaseResult& c, const EditCase&, const EditResult&) {
          ++seen;
          QCOMPARE(c.candidates.size(), std::size_t{2});
        });
    QCOMPARE(seen, 2);
    QCOMPARE(r.summary.cases, 2);
    QCOMPARE(r.summary.mean_colour.total, 4);
    QCOMPARE(r.summary.max_abs_outside_band, 0);  // blended: the far background never changes
    QVERIFY(r.cases[0].candidates[0].clip_distance <= r.cases[0].candidates[1].clip_distance);
    const std::string json = report_json(r);
    QVERIFY(json.find("\"adversarial_of_clip_yes\"") != std::string::npos);
    QVERIFY(report_table(r).find("colour and shape") != std::string::npos);

    // Two engines on two threads: the same cases in the same order, the same candidates.
    const auto second = Engine::load(load_model_pack(test::make_reference_test_pack(test::scratch_dir("benchmark_pack"))));
    const EditBenchmarkReport parallel = run_edit_benchmark(std::vector<Engine*>{engine.get(), second.get()}, o);
    QCOMPARE(parallel.cases.size(), r.cases.size());
    for (std::size_t i = 0; i < r.cases.size(); ++i) {
      QCOMPARE(parallel.cases[i].seed, r.cases[i].seed);
      QCOMPARE(parallel.cases[i].prompt, r.cases[i].prompt);
      for (std::size_t k = 0; k < r.cases[i].candidates.size(); ++k)
        QVERIFY(std::abs(parallel.cases[i].candidates[k].clip_distance - r.cases[i].candidates[k].clip_distance) < 1e-6);
    }
  }
};

QTEST_GUILESS_MAIN(TestEditBenchmark)
#include "test_edit_benchmark.moc"
