#pragma once
// Small layers both networks share: normalisations that compute in float32 whatever the
// activation dtype (guided_diffusion GroupNorm32, CLIP's LayerNorm subclass), and the
// helpers that freeze a loaded network and list its tensors.
#include <torch/nn/module.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

#include "io/tensor_file.h"

namespace bd::nn {

// guided_diffusion nn.GroupNorm32: 32 groups, normalised in float32, cast back to the
// input's dtype (fp16 torso). Parameters stay float32.
class GroupNorm32Impl : public torch::nn::GroupNormImpl {
 public:
  explicit GroupNorm32Impl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);
};
TORCH_MODULE(GroupNorm32);

// CLIP model.LayerNorm: computed in float32, cast back to the input's dtype.
class LayerNorm32Impl : public torch::nn::LayerNormImpl {
 public:
  explicit LayerNorm32Impl(int64_t width);
  torch::Tensor forward(const torch::Tensor& x);
};
TORCH_MODULE(LayerNorm32);

// Inference only: every parameter stops requiring grad, the module goes to eval mode.
// Gradients w.r.t. inputs (guidance) still flow.
void freeze(torch::nn::Module& module);

// The module's parameters and buffers as named tensors (aliasing them), e.g. to infer a
// config back or to save the weights.
std::vector<io::NamedTensor> named_tensors(const torch::nn::Module& module);

int64_t parameter_count(const torch::nn::Module& module);

// Inside a catch block: rethrows the exception in flight as a bd::Error whose message
// starts with `stage` ("loading UNet from X: ..."); LibTorch and allocation failures
// become Backend / OutOfMemory errors.
[[noreturn]] void rethrow_with_stage(const std::string& stage);

// Drops `prefix` from every name that starts with it; other names are dropped too when
// `drop_others`.
std::vector<io::NamedTensor> strip_prefix(const std::vector<io::NamedTensor>& tensors,
                                          const std::string& prefix, bool drop_others = true);

}  // namespace bd::nn
