#include "editing/candidate_lanes.h"

#include <torch/torch.h>

#include <algorithm>

#include "bd/error.h"
#include "core/log.h"

namespace bd::editing {

struct CandidateLanes::Lane {
  std::unique_ptr<NoiseSource> noise;
  PerCandidateNoise* streams = nullptr;  // `noise` when each candidate has its own stream
  std::unique_ptr<ClipAugmenter> augmenter;
  std::unique_ptr<BlendedSampler> sampler;
  int64_t batch = 0;
  torch::Tensor x;
  torch::Tensor pred;
};

CandidateLanes::CandidateLanes(const LaneInputs& in, const std::vector<std::uint64_t>& seeds,
                               std::optional<std::uint64_t> shared_noise_seed, LaneLayout layout, LanePool* pool)
    : inputs_(in),
      parallel_(layout.parallel),
      splittable_(!shared_noise_seed),
      threads_per_lane_(std::max(1, layout.threads_per_lane)),
      pool_(pool) {
  if (parallel_ && !pool_) throw Error(ErrorKind::Backend, "parallel candidate lanes need a thread pool");
  const int batch = static_cast<int>(seeds.size());
  const int count = shared_noise_seed ? 1 : std::clamp(layout.lanes, 1, std::max(1, batch));
  // Contiguous, near-equal groups, so concatenating the lanes restores candidate order.
  int begin = 0;
  for (int k = 0; k < count; ++k) {
    const int end = begin + (batch - begin) / (count - k);
    const std::vector<std::uint64_t> lane_seeds(seeds.begin() + begin, seeds.begin() + end);
    std::unique_ptr<NoiseSource> noise;
    if (shared_noise_seed)
      noise = std::make_unique<SeededNoise>(*shared_noise_seed);
    else
      noise = std::make_unique<PerCandidateNoise>(lane_seeds);
    lanes_.push_back(make_lane(std::move(noise), ClipAugmenter(in.augment, lane_seeds), end - begin));
    begin = end;
  }
}

CandidateLanes::~CandidateLanes() = default;

std::unique_ptr<CandidateLanes::Lane> CandidateLanes::make_lane(std::unique_ptr<NoiseSource> noise,
                                                                ClipAugmenter augmenter,
                                                                int64_t batch) const {
  auto lane = std::make_unique<Lane>();
  lane->batch = batch;
  lane->streams = dynamic_cast<PerCandidateNoise*>(noise.get());
  lane->noise = std::move(noise);
  lane->augmenter = std::make_unique<ClipAugmenter>(std::move(augmenter));
  lane->sampler = std::make_unique<BlendedSampler>(inputs_.unet, *inputs_.diffusion, inputs_.clip,
                                                   inputs_.text_embed, lane->augmenter.get(), inputs_.sampler);
  return lane;
}

int64_t CandidateLanes::first_index() const { return lanes_.front()->sampler->first_index(); }

int64_t CandidateLanes::micro_batch() const {
  int64_t largest = 0;
  for (const auto& lane : lanes_) largest = std::max(largest, lane->batch);
  return largest;
}

void CandidateLanes::for_each_lane_in_parallel(const std::function<void(Lane&)>& work) {
  pool_->run(static_cast<int>(lanes_.size()), threads_per_lane_, [&](int k) { work(*lanes_[static_cast<std::size_t>(k)]); });
}

void CandidateLanes::start(const torch::Tensor& init) {
  auto work = [&](Lane& lane) { lane.x = lane.sampler->start(init, lane.batch, *lane.noise); };
  if (parallel_) {
    for_each_lane_in_parallel(work);
  } else {
    for (auto& lane : lanes_) work(*lane);
  }
}

void CandidateLanes::step_lane(Lane& lane, int64_t index, const torch::Tensor& init, const torch::Tensor& mask) {
  if (inputs_.before_lane_step) inputs_.before_lane_step(lane.batch);
  StepOutput out = lane.sampler->step(lane.x, index, init, mask, *lane.noise);
  lane.x = out.sample;
  lane.pred = out.pred_xstart;
}

void CandidateLanes::step(int64_t index, const torch::Tensor& init, const torch::Tensor& mask) {
  if (parallel_) {
    for_each_lane_in_parallel([&](Lane& lane) { step_lane(lane, index, init, mask); });
    return;
  }
  for (std::size_t k = 0; k < lanes_.size();) k += step_or_split(k, index, init, mask);
}

std::size_t CandidateLanes::step_or_split(std::size_t k, int64_t index, const torch::Tensor& init,
                                          const torch::Tensor& mask) {
  Lane& lane = *lanes_[k];
  // Where the lane's random streams stand before the step, to rewind them if it fails.
  std::optional<PerCandidateNoise> noise_before;
  if (lane.streams) noise_before = lane.streams->slice(0, lane.streams->size());
  const ClipAugmenter augmenter_before = *lane.augmenter;
  try {
    step_lane(lane, index, init, mask);
    return 1;
  } catch (const c10::OutOfMemoryError& e) {
    const std::string what = e.what_without_backtrace();
    if (!splittable_ || lane.batch < 2 || !noise_before) {
      throw Error(ErrorKind::OutOfMemory,
                  "out of GPU memory with " + std::to_string(lane.batch) + " candidate(s) at once" +
                      (lane.batch < 2 ? ", the smallest step there is" : "") +
                      ": use a smaller region, fewer CLIP views or a card with more free memory (" + what + ")");
    }
    const int64_t half = lane.batch / 2;
    const std::string note = "out of GPU memory with " + std::to_string(lane.batch) +
                             " candidates at once; now " + std::to_string(half) + " at a time (" + what + ")";
    log::editing()->warn("{}", note);
    memory_notes_.push_back(note);
    const auto n = static_cast<std::size_t>(lane.batch);
    const auto h = static_cast<std::size_t>(half);
    auto first = make_lane(std::make_unique<PerCandidateNoise>(noise_before->slice(0, h)),
                           augmenter_before.slice(0, h), half);
    auto second = make_lane(std::make_unique<PerCandidateNoise>(noise_before->slice(h, n)),
                            augmenter_before.slice(h, n), lane.batch - half);
    first->x = lane.x.narrow(0, 0, half);
    second->x = lane.x.narrow(0, half, lane.batch - half);
    lanes_[k] = std::move(first);
    lanes_.insert(lanes_.begin() + static_cast<std::ptrdiff_t>(k) + 1, std::move(second));
    // Both halves redo the step; either may split again.
    const std::size_t a = step_or_split(k, index, init, mask);
    return a + step_or_split(k + a, index, init, mask);
  }
}

torch::Tensor CandidateLanes::pred_xstart() const {
  if (lanes_.size() == 1) return lanes_.front()->pred;
  std::vector<torch::Tensor> parts;
  for (const auto& lane : lanes_) parts.push_back(lane->pred);
  return torch::cat(parts, 0);
}

}  // namespace bd::editing
