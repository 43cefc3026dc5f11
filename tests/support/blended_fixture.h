#pragma once
// The blended_*.pt reference vectors as a runnable fixture: the small random UNet and
// CLIP they were recorded with, the diffusion of their sidecar, the recorded noise, and
// the reference fidelity mode's sampler. Shared by test_blended (CPU) and the CUDA check
// (tests/device), which replays the same trajectories on another device.
#include <torch/torch.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "diffusion/gaussian_diffusion.h"
#include "editing/augment.h"
#include "editing/blended_sampler.h"
#include "io/tensor_file.h"
#include "nn/clip.h"
#include "nn/unet.h"

namespace bd::test {

struct BlendedFixture {
  std::string path;
  nlohmann::json meta;
  io::TensorFile file;  // tensors stay on the CPU
  torch::Device device{torch::kCPU};
  nn::UNet unet{nullptr};  // on `device`
  nn::Clip clip{nullptr};  // on `device`
  std::unique_ptr<diffusion::GaussianDiffusion> diffusion;
  std::vector<torch::Tensor> noise;  // every random draw of the original, in order (CPU)

  // A reference tensor moved to the fixture's device.
  torch::Tensor at(const std::string& key) const { return file.at(key).to(device); }
};

BlendedFixture load_blended_fixture(const std::string& path, const torch::Device& device = torch::kCPU);

struct BlendedRun {
  std::unique_ptr<editing::ClipAugmenter> augmenter;
  std::unique_ptr<editing::BlendedSampler> sampler;
};

// The reference fidelity mode for one variant: shared background noise, the unscale round
// trip, identity views (the vectors replaced kornia by identity).
BlendedRun make_reference_sampler(BlendedFixture& f, const std::string& variant);

struct Trajectory {
  torch::Tensor xs;         // [steps + 1, B, 3, S, S], x_T first (CPU)
  torch::Tensor pred_last;  // x̂₀ of the last step (CPU)
};

// Runs the variant free from x_T with the recorded noise replayed in order. Throws
// std::runtime_error when the schedule's indices differ from the recorded ones.
Trajectory run_free(BlendedFixture& f, const std::string& variant);

// enforce_background, [0,1], then to_pil_image's truncating ×255: [B, S, S, 3] uint8.
torch::Tensor final_uint8(const torch::Tensor& init, const torch::Tensor& mask, const torch::Tensor& pred);

}  // namespace bd::test
