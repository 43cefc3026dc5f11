#include "editing/noise.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <sstream>

#include "bd/error.h"

namespace bd::editing {

SeededNoise::SeededNoise(std::uint64_t seed) : generator_(at::detail::createCPUGenerator(seed)) {}
SeededNoise::SeededNoise(torch::Generator generator) : generator_(std::move(generator)) {}

SeededNoise SeededNoise::clone() const { return SeededNoise(generator_.clone()); }

torch::Tensor SeededNoise::randn(c10::IntArrayRef shape, const torch::Device& device) {
  return torch::randn(shape, generator_, torch::TensorOptions().dtype(torch::kFloat32)).to(device);
}

PerCandidateNoise::PerCandidateNoise(const std::vector<std::uint64_t>& seeds) {
  for (auto seed : seeds) streams_.emplace_back(seed);
}

torch::Tensor PerCandidateNoise::randn(c10::IntArrayRef shape, const torch::Device& device) {
  if (shape.empty() || (shape[0] != 1 && shape[0] != static_cast<int64_t>(streams_.size())))
    throw Error(ErrorKind::Backend, "per-candidate noise asked for a batch that matches no candidate count");
  std::vector<int64_t> one = shape.vec();
  one[0] = 1;
  std::vector<torch::Tensor> parts;
  for (int64_t b = 0; b < shape[0]; ++b) parts.push_back(streams_[b].randn(one, device));
  return torch::cat(parts, 0);
}

PerCandidateNoise PerCandidateNoise::slice(std::size_t begin, std::size_t end) const {
  std::vector<SeededNoise> copies;
  for (std::size_t k = begin; k < end && k < streams_.size(); ++k) copies.push_back(streams_[k].clone());
  return PerCandidateNoise(std::move(copies));
}

ReplayNoise::ReplayNoise(std::vector<torch::Tensor> draws, std::size_t start)
    : draws_(std::move(draws)), next_(start) {}

torch::Tensor ReplayNoise::randn(c10::IntArrayRef shape, const torch::Device& device) {
  if (next_ >= draws_.size())
    throw Error(ErrorKind::InvalidInput,
                "replayed noise ran out after " + std::to_string(draws_.size()) + " draws");
  const torch::Tensor& d = draws_[next_];
  if (d.sizes() != shape) {
    std::ostringstream msg;
    msg << "replayed noise draw " << next_ << " has shape " << d.sizes() << " but " << shape
        << " was requested";
    throw Error(ErrorKind::InvalidInput, msg.str());
  }
  ++next_;
  return d.to(device, torch::kFloat32);
}

}  // namespace bd::editing
