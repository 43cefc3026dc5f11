#pragma once
// Where every random normal draw of an edit comes from. The engine draws through this
// interface only, so a seed fully determines a candidate, and the reference-fidelity
// tests can replay the exact draws the original Python loop made.
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace bd::editing {

class NoiseSource {
 public:
  virtual ~NoiseSource() = default;
  // A standard normal tensor of `shape`, float32, on `device`.
  virtual torch::Tensor randn(c10::IntArrayRef shape, const torch::Device& device) = 0;
};

// Draws on a CPU generator and copies to the device: the same seed gives the same
// candidate on CPU and CUDA.
class SeededNoise final : public NoiseSource {
 public:
  explicit SeededNoise(std::uint64_t seed);
  torch::Tensor randn(c10::IntArrayRef shape, const torch::Device& device) override;
  // An independent copy at the same point of the stream (copying shares the generator).
  SeededNoise clone() const;

 private:
  explicit SeededNoise(torch::Generator generator);
  torch::Generator generator_;
};

// One generator per candidate: a [B, …] draw stacks one [1, …] draw from each, so a
// candidate's pixels depend on its own seed only and "re-run with this seed" reproduces
// it alone. A [1, …] draw (a shared background) comes from the first candidate's stream.
class PerCandidateNoise final : public NoiseSource {
 public:
  explicit PerCandidateNoise(const std::vector<std::uint64_t>& seeds);
  torch::Tensor randn(c10::IntArrayRef shape, const torch::Device& device) override;
  // Independent copies of the streams of candidates [begin, end), where they are now: a
  // batch split in two goes on drawing exactly what it would have drawn whole.
  PerCandidateNoise slice(std::size_t begin, std::size_t end) const;
  std::size_t size() const { return streams_.size(); }

 private:
  explicit PerCandidateNoise(std::vector<SeededNoise> streams) : streams_(std::move(streams)) {}
  std::vector<SeededNoise> streams_;
};

// Replays recorded draws in order; throws bd::Error(InvalidInput) when a draw's shape
// differs from the recorded one or the list runs out, naming the draw's index.
class ReplayNoise final : public NoiseSource {
 public:
  explicit ReplayNoise(std::vector<torch::Tensor> draws, std::size_t start = 0);
  torch::Tensor randn(c10::IntArrayRef shape, const torch::Device& device) override;
  std::size_t next_index() const { return next_; }

 private:
  std::vector<torch::Tensor> draws_;
  std::size_t next_;
};

}  // namespace bd::editing
