// The stages every method shares (editing/edit_pipeline.h), each on its own: the seeds of
// a batch, step reports and previews (lazy, never at a batch's last step), cancel, and
// finishing a batch (background pasted back bit-identical, candidates handed over once).
#include <QtTest/QtTest>
#include <torch/torch.h>

#include <atomic>

#include "editing/edit_pipeline.h"
#include "editing/ranking.h"
#include "nn/clip.h"
#include "test_images.h"
#include "test_pack.h"
#include "test_support.h"

using namespace bd;

class TestEditPipeline : public QObject {
  Q_OBJECT
  nn::Clip clip_{nullptr};

 private slots:
  void initTestCase() {
    const std::string dir = test::make_reference_test_pack(test::scratch_dir("pipeline_pack"));
    nn::ClipLoadOptions options;
    options.text_head_width = 4;  // the test pack's text tower: width 8, 2 heads
    clip_ = nn::load_clip(dir + "/clip.safetensors", torch::kCPU, options);
  }

  void planBatchSeeds() {
    EditParams p;
    p.seed = 10;
    p.batch_size = 3;
    const editing::BatchPlan plan = editing::plan_batch(p, 2);
    QCOMPARE(plan.iteration, 2);
    QCOMPARE(plan.seeds, (std::vector<std::uint64_t>{16, 17, 18}));
    QVERIFY(!plan.shared_noise_seed);
    p.fidelity = FidelityMode::Reference;
    QCOMPARE(*editing::plan_batch(p, 2).shared_noise_seed, std::uint64_t{12});
  }

  void progressReportsStepsAndPreviewsLazily() {
    EditRequest r;
    r.image = test::pattern_image(40, 30, 3);
    r.mask = test::rect_mask(40, 30, 10, 8, 26, 20);
    r.params.preview_every = 2;
    std::atomic<bool> cancel{false};
    r.callbacks.cancel = &cancel;
    std::vector<int> steps, previews;
    r.callbacks.on_step = [&](const StepInfo& s) {
      steps.push_back(s.step);
      QCOMPARE(s.total, 10);
    };
    r.callbacks.on_preview = [&](const Preview& p) {
      previews.push_back(p.step);
      QVERIFY(p.patch.width > 0 && p.x >= 0 && p.x + p.patch.width <= 40);
    };
    const editing::PreparedEdit edit = editing::prepare_edit(r.image, r.mask, r.params, 32, torch::kCPU);
    QCOMPARE(edit.image.sizes(), (torch::IntArrayRef{1, 3, 32, 32}));
    QCOMPARE(edit.mask.sizes(), (torch::IntArrayRef{1, 1, 32, 32}));
    editing::EditProgress progress(r, edit, 10);
    int asked = 0;
    auto pred = [&] {
      ++asked;
      return torch::zeros({2, 3, 32, 32});
    };
    for (int it = 0; it < 2; ++it) {
      progress.start_batch(it);
      for (int k = 0; k < 5; ++k) progress.step_done(k, 5, pred);
    }
    QCOMPARE(steps, (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
    // Steps 0 and 2 of each batch; step 4 is a batch's last: its candidates follow.
    QCOMPARE(previews, (std::vector<int>{1, 3, 6, 8}));
    QCOMPARE(asked, 4);  // x̂₀ is fetched only for a preview
    QCOMPARE(progress.done_steps(), 10);
    QVERIFY(!progress.cancelled());
    cancel = true;
    QVERIFY(progress.cancelled());
  }

  void finishPastesTheBackgroundAndHandsCandidatesOverOnce() {
    EditRequest r;
    r.image = test::pattern_image(48, 40, 3);
    r.mask = test::rect_mask(48, 40, 16, 12, 30, 26);
    r.params.feather_px = 2;
    const editing::PreparedEdit edit = editing::prepare_edit(r.image, r.mask, r.params, 32, torch::kCPU);
    torch::manual_seed(3);
    const torch::Tensor pred = torch::rand({2, 3, 32, 32}) * 2 - 1;
    EditParams p;
    p.batch_size = 2;
    const editing::BatchPlan plan = editing::plan_batch(p, 0);
    const torch::Tensor text = torch::randn({1, clip_->config().embed_dim});

    std::vector<Candidate> kept;
    editing::finish_batch(r, edit, pred, plan, /*paste_background=*/true, clip_, text, 1.5, kept);
    QCOMPARE(kept.size(), std::size_t{2});
    for (const Candidate& c : kept) {
      QCOMPARE(c.image.width, 48);
      QVERIFY(std::isfinite(c.score));
      QCOMPARE(c.seconds, 1.5);
      // Outside the mask and its feather band: the original, bit for bit.
      for (int y = 0; y < 40; ++y)
        for (int x = 0; x < 48; ++x)
          if (x < 13 || x >= 33 || y < 9 || y >= 29)
            for (int ch = 0; ch < 3; ++ch) {
              const std::size_t i = (static_cast<std::size_t>(y) * 48 + x) * 3 + ch;
              QCOMPARE(c.image.data[i], r.image.data[i]);
            }
    }
    QCOMPARE(kept[1].seed, kept[0].seed + 1);

    // Streamed: each candidate once to the callback, the result keeps the ranking only.
    std::vector<Candidate> streamed, ranked;
    r.callbacks.on_candidate = [&](const Candidate& c) { streamed.push_back(c); };
    editing::finish_batch(r, edit, pred, plan, true, clip_, text, 1.5, ranked);
    QCOMPARE(streamed.size(), std::size_t{2});
    QVERIFY(streamed[0].image.data == kept[0].image.data);
    QCOMPARE(ranked[0].score, kept[0].score);
    QVERIFY(ranked[0].image.data.empty());

    // Sorted best first, ties in the order they were made.
    std::vector<Candidate> order(3);
    order[0].score = 0.5, order[0].seed = 1;
    order[1].score = 0.2, order[1].seed = 2;
    order[2].score = 0.5, order[2].seed = 3;
    editing::sort_best_first(order);
    QCOMPARE(order[0].seed, std::uint64_t{2});
    QCOMPARE(order[1].seed, std::uint64_t{1});
    QCOMPARE(order[2].seed, std::uint64_t{3});
  }
};

QTEST_GUILESS_MAIN(TestEditPipeline)
#include "test_edit_pipeline.moc"
