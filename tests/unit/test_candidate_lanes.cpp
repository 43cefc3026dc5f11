// CandidateLanes on a "GPU" (sequential micro-batches): a lane that runs out of memory is
// halved and redoes its step, without losing steps and without changing any candidate.
// A CPU has no CUDA out-of-memory to give, so a hook throws c10::OutOfMemoryError the way
// the caching allocator does for batches above what the simulated card holds.
#include <QtTest/QtTest>
#include <ATen/Parallel.h>

#include <atomic>
#include <stdexcept>
#include <c10/util/Exception.h>
#include <torch/torch.h>

#include "bd/error.h"
#include "blended_fixture.h"
#include "editing/candidate_lanes.h"
#include "test_support.h"

using namespace bd;

namespace {

// The small random models of the reference vectors, guided by a random text embedding,
// with random CLIP views (the augmentation streams must survive a split too).
editing::LaneInputs guided_inputs(test::BlendedFixture& f) {
  editing::LaneInputs in;
  in.unet = f.unet;
  in.diffusion = f.diffusion.get();
  in.clip = f.clip;
  torch::manual_seed(7);
  in.text_embed = torch::randn({1, f.clip->config().embed_dim});
  in.augment.clip_size = static_cast<int>(f.clip->config().image_resolution);
  in.augment.views = 3;
  in.augment.random = true;
  in.sampler.skip_timesteps = 0;
  in.sampler.clip_lambda = 1000.0;
  return in;
}

// Runs `steps` steps of a 4-candidate batch; returns x̂₀. Without a pool: one sequential
// lane, as on a GPU.
torch::Tensor run(const editing::LaneInputs& in, test::BlendedFixture& f, int steps,
                  std::vector<std::string>* notes = nullptr, int64_t* micro = nullptr,
                  editing::LanePool* pool = nullptr, int lanes_on_pool = 1) {
  const std::vector<std::uint64_t> seeds{11, 12, 13, 14};
  editing::LaneLayout layout;
  layout.parallel = pool != nullptr;
  layout.lanes = pool ? lanes_on_pool : 1;
  editing::CandidateLanes lanes(in, seeds, std::nullopt, layout, pool);
  const torch::Tensor init = f.at("init_image");
  const torch::Tensor mask = f.at("mask");
  lanes.start(init);
  for (int64_t index = lanes.first_index(), k = 0; index >= 0 && k < steps; --index, ++k)
    lanes.step(index, init, mask);
  if (notes) *notes = lanes.memory_notes();
  if (micro) *micro = lanes.micro_batch();
  return lanes.pred_xstart();
}

// What the caching allocator throws; the message names the size, as CUDA's does.
[[noreturn]] void throw_cuda_oom(int64_t batch) {
  throw c10::OutOfMemoryError(c10::SourceLocation{__func__, __FILE__, __LINE__},
                              "CUDA out of memory. Tried to allocate " + std::to_string(batch * 512) + " MiB");
}

}  // namespace

class TestCandidateLanes : public QObject {
  Q_OBJECT
 private slots:
  void init() {
    if (test::reference_files("blended_").empty()) QSKIP("no blended_*.pt reference vectors");
  }

  void halvingOnOutOfMemoryChangesNoCandidate() {
    test::BlendedFixture f = test::load_blended_fixture(test::reference_files("blended_").front());
    editing::LaneInputs in = guided_inputs(f);
    const torch::Tensor whole = run(in, f, 3);

    // A card that holds one candidate at a time, from the second step on: the first step
    // runs whole, then 4 -> 2 + 2 -> 1 + 1 + 1 + 1 (three halvings), all inside step two.
    int calls = 0;
    in.before_lane_step = [&calls](int64_t batch) {
      if (++calls > 1 && batch > 1) throw_cuda_oom(batch);
    };
    std::vector<std::string> notes;
    int64_t micro = 0;
    const torch::Tensor split = run(in, f, 3, &notes, &micro);
    QCOMPARE(micro, int64_t{1});
    QCOMPARE(notes.size(), std::size_t{3});
    QVERIFY2(notes[0].find("4 candidates at once; now 2") != std::string::npos, notes[0].c_str());
    QVERIFY2(notes[0].find("Tried to allocate 2048 MiB") != std::string::npos, notes[0].c_str());
    QCOMPARE(split.sizes(), whole.sizes());
    // Same streams, same steps: only float rounding of the smaller batches differs.
    const double err = test::relative_error(split, whole);
    qInfo("x̂₀ after a split vs whole: max|d|/max|x| = %.3g", err);
    QVERIFY2(err < 1e-4, qPrintable(QString("split changed the candidates: %1").arg(err)));
  }

  // On the CPU: lanes on the engine's pool, made once, give the candidates of one batch,
  // and the calling thread's LibTorch thread count is left as it was.
  void poolLanesGiveTheBatchAndLeaveTheCallerAlone() {
    test::BlendedFixture f = test::load_blended_fixture(test::reference_files("blended_").front());
    const editing::LaneInputs in = guided_inputs(f);
    const torch::Tensor whole = run(in, f, 2);
    const int caller_threads = at::get_num_threads();
    editing::LanePool pool;
    for (int lanes : {2, 4, 3}) {
      const torch::Tensor parallel = run(in, f, 2, nullptr, nullptr, &pool, lanes);
      const double err = test::relative_error(parallel, whole);
      QVERIFY2(err < 1e-4, qPrintable(QString("%1 lanes changed the candidates: %2").arg(lanes).arg(err)));
      QCOMPARE(at::get_num_threads(), caller_threads);
    }
    QCOMPARE(pool.size(), 4);  // grown once to the most lanes, then reused
  }

  void aFailingLaneFailsTheRunAndThePoolCarriesOn() {
    editing::LanePool pool;
    std::atomic<int> ran{0};
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, pool.run(3, 1, [&](int k) {
      ++ran;
      if (k == 1) throw std::runtime_error("lane 1 failed");
    }));
    QCOMPARE(ran.load(), 3);  // the others still ran to the end
    pool.run(2, 1, [&](int) { ++ran; });
    QCOMPARE(ran.load(), 5);
  }

  void aCandidateThatCannotFitIsAClearError() {
    test::BlendedFixture f = test::load_blended_fixture(test::reference_files("blended_").front());
    editing::LaneInputs in = guided_inputs(f);
    in.before_lane_step = [](int64_t batch) { throw_cuda_oom(batch); };
    try {
      run(in, f, 1);
      QFAIL("expected an out-of-memory error");
    } catch (const Error& e) {
      QCOMPARE(e.kind(), ErrorKind::OutOfMemory);
      const std::string what = e.what();
      QVERIFY2(what.find("1 candidate(s) at once") != std::string::npos, what.c_str());
      QVERIFY2(what.find("Tried to allocate 512 MiB") != std::string::npos, what.c_str());
    }
  }
};

QTEST_GUILESS_MAIN(TestCandidateLanes)
#include "test_candidate_lanes.moc"
