#include "editing/candidate_lanes.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <exception>
#include <future>

namespace bd::editing {

struct CandidateLanes::Lane {
  std::unique_ptr<NoiseSource> noise;
  std::unique_ptr<ClipAugmenter> augmenter;
  std::unique_ptr<BlendedSampler> sampler;
  int64_t batch = 0;
  torch::Tensor x;
  torch::Tensor pred;
};

CandidateLanes::CandidateLanes(const LaneInputs& in, const std::vector<std::uint64_t>& seeds,
                               std::optional<std::uint64_t> shared_noise_seed, int lanes,
                               int threads_per_lane)
    : threads_per_lane_(std::max(1, threads_per_lane)), caller_threads_(at::get_num_threads()) {
  const int batch = static_cast<int>(seeds.size());
  const int count = shared_noise_seed ? 1 : std::clamp(lanes, 1, std::max(1, batch));
  // Contiguous, near-equal groups, so concatenating the lanes restores candidate order.
  int begin = 0;
  for (int k = 0; k < count; ++k) {
    const int end = begin + (batch - begin) / (count - k);
    const std::vector<std::uint64_t> lane_seeds(seeds.begin() + begin, seeds.begin() + end);
    auto lane = std::make_unique<Lane>();
    lane->batch = end - begin;
    if (shared_noise_seed)
      lane->noise = std::make_unique<SeededNoise>(*shared_noise_seed);
    else
      lane->noise = std::make_unique<PerCandidateNoise>(lane_seeds);
    lane->augmenter = std::make_unique<ClipAugmenter>(in.augment, lane_seeds);
    lane->sampler = std::make_unique<BlendedSampler>(in.unet, *in.diffusion, in.clip, in.text_embed,
                                                     lane->augmenter.get(), in.sampler);
    lanes_.push_back(std::move(lane));
    begin = end;
  }
  if (lanes_.size() > 1) at::set_num_threads(threads_per_lane_);
}

CandidateLanes::~CandidateLanes() {
  if (lanes_.size() > 1) at::set_num_threads(caller_threads_);
}

int64_t CandidateLanes::first_index() const { return lanes_.front()->sampler->first_index(); }

template <typename F>
void CandidateLanes::for_each_lane(F&& work) {
  if (lanes_.size() == 1) {
    work(*lanes_.front());
    return;
  }
  // Lanes 1.. on their own threads, lane 0 on the caller's; all joined before returning,
  // even when one throws, since they use this object.
  std::vector<std::future<void>> others;
  for (std::size_t k = 1; k < lanes_.size(); ++k)
    others.push_back(std::async(std::launch::async, [this, k, &work] {
      at::set_num_threads(threads_per_lane_);  // this new thread's OpenMP team size
      work(*lanes_[k]);
    }));
  std::exception_ptr failure;
  try {
    work(*lanes_.front());
  } catch (...) {
    failure = std::current_exception();
  }
  for (auto& f : others) {
    try {
      f.get();
    } catch (...) {
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
}

void CandidateLanes::start(const torch::Tensor& init) {
  for_each_lane([&](Lane& lane) { lane.x = lane.sampler->start(init, lane.batch, *lane.noise); });
}

void CandidateLanes::step(int64_t index, const torch::Tensor& init, const torch::Tensor& mask) {
  for_each_lane([&](Lane& lane) {
    StepOutput out = lane.sampler->step(lane.x, index, init, mask, *lane.noise);
    lane.x = out.sample;
    lane.pred = out.pred_xstart;
  });
}

torch::Tensor CandidateLanes::pred_xstart() const {
  if (lanes_.size() == 1) return lanes_.front()->pred;
  std::vector<torch::Tensor> parts;
  for (const auto& lane : lanes_) parts.push_back(lane->pred);
  return torch::cat(parts, 0);
}

}  // namespace bd::editing
