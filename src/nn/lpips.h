#pragma once
// LPIPS (Zhang et al. 2018), net='vgg', version 0.1: the perceptual distance the local
// CLIP-guided baseline adds to its background-preservation loss (reference-spec §2.6).
// Parameters are named as the two published files name them: torchvision's VGG16
// (`vgg16-397923af.pth`: features.N.weight/bias) and lpips' `weights/v0.1/vgg.pth`
// (linK.model.1.weight), so either those two files or one safetensors holding both load.
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

#include "io/tensor_file.h"

namespace bd::nn {

struct LpipsConfig {
  // Every VGG16 width divided by this (1: the published network). Narrow variants run
  // the same code on small golden vectors.
  int64_t width_divisor = 1;

  // The 13 convolutions' output widths, in order.
  std::vector<int64_t> conv_widths() const;
  // The five tapped feature widths (relu1_2 … relu5_3): the lin layers' inputs.
  std::vector<int64_t> tap_widths() const;
};

// The width divisor from features.0.weight (the published widths when it is absent, so
// that loading lists every missing tensor). Throws bd::Error(ModelFiles) when its width
// does not divide 64.
LpipsConfig infer_lpips_config(const std::vector<io::NamedTensor>& tensors);

class LpipsImpl : public torch::nn::Module {
 public:
  explicit LpipsImpl(const LpipsConfig& config = {});

  // in0: [B, 3, H, W], in1: [B or 1, 3, H, W], both in [−1, 1] -> [B] distances, as
  // lpips.LPIPS(net='vgg')(in0, in1).flatten(). Differentiable in both inputs.
  torch::Tensor forward(const torch::Tensor& in0, const torch::Tensor& in1);

  // The five per-layer terms (each [B]) whose sum forward returns.
  std::vector<torch::Tensor> layer_terms(const torch::Tensor& in0, const torch::Tensor& in1);

  const LpipsConfig& config() const { return config_; }

 private:
  // VGG16 features up to relu5_3 of x (already scaled): the five taps.
  std::vector<torch::Tensor> taps(const torch::Tensor& x);

  LpipsConfig config_;
  std::vector<torch::nn::Conv2d> convs_;  // features.{0,2,5,7,10,12,14,17,19,21,24,26,28}
  std::vector<torch::nn::Conv2d> lins_;   // linK.model.1 (linK.model.0 is Dropout: no tensors)
};
TORCH_MODULE(Lpips);

// Reads the weights from one or more files (safetensors, PyTorch zip or legacy): the
// torchvision trunk and the lpips lin layers, in one file or two. Also accepts the
// names of a whole lpips.LPIPS state dict (net.sliceK.N.* for features.N.*). Ignores
// the classifier and the scaling layer's constant buffers. Fails once, naming every
// missing, unexpected and mis-shaped tensor. Frozen, in eval mode, on `device`.
Lpips load_lpips(const std::vector<std::string>& paths, const torch::Device& device);

}  // namespace bd::nn
