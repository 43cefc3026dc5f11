#include "nn/lpips.h"

#include <torch/torch.h>

#include <regex>
#include <set>

#include "bd/error.h"
#include "core/log.h"
#include "io/state_dict.h"
#include "nn/layers.h"

namespace bd::nn {

namespace {

// torchvision vgg cfg 'D' as (features index, published width). The ReLU after each
// convolution is index + 1; max-pools sit at 4, 9, 16, 23 (and 30, past the last tap).
struct VggConv {
  int index;
  int64_t width;
  bool tap_after;  // relu1_2, relu2_2, relu3_3, relu4_3, relu5_3
};
constexpr VggConv kVgg16[] = {
    {0, 64, false},   {2, 64, true},                       // slice1: 0-3
    {5, 128, false},  {7, 128, true},                      // slice2: 4-8 (pool at 4)
    {10, 256, false}, {12, 256, false}, {14, 256, true},   // slice3: 9-15 (pool at 9)
    {17, 512, false}, {19, 512, false}, {21, 512, true},   // slice4: 16-22 (pool at 16)
    {24, 512, false}, {26, 512, false}, {28, 512, true}};  // slice5: 23-29 (pool at 23)

// The slices after the first start with a 2x2 max-pool.
bool pool_before(int index) { return index == 5 || index == 10 || index == 17 || index == 24; }

}  // namespace

std::vector<int64_t> LpipsConfig::conv_widths() const {
  std::vector<int64_t> w;
  for (const VggConv& c : kVgg16) w.push_back(c.width / width_divisor);
  return w;
}

std::vector<int64_t> LpipsConfig::tap_widths() const {
  std::vector<int64_t> w;
  for (const VggConv& c : kVgg16)
    if (c.tap_after) w.push_back(c.width / width_divisor);
  return w;
}

LpipsConfig infer_lpips_config(const std::vector<io::NamedTensor>& tensors) {
  for (const auto& t : tensors) {
    if (t.name != "features.0.weight") continue;
    const int64_t first = t.tensor.dim() == 4 ? t.tensor.size(0) : 0;
    if (first <= 0 || 64 % first != 0)
      throw Error(ErrorKind::ModelFiles, "features.0.weight has " + std::to_string(first) +
                                             " output channels; LPIPS(vgg) needs 64 (or 64/k)");
    return LpipsConfig{64 / first};
  }
  return LpipsConfig{};  // the published widths; loading then lists what is missing
}

LpipsImpl::LpipsImpl(const LpipsConfig& config) : config_(config) {
  if (config_.width_divisor <= 0 || 64 % config_.width_divisor != 0)
    throw Error(ErrorKind::InvalidInput,
                "LPIPS width divisor must divide 64, got " + std::to_string(config_.width_divisor));
  auto features = register_module("features", std::make_shared<torch::nn::Module>());
  int64_t in = 3;
  for (const VggConv& c : kVgg16) {
    const int64_t out = c.width / config_.width_divisor;
    convs_.push_back(features->register_module(
        std::to_string(c.index),
        torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1))));
    in = out;
  }
  int k = 0;
  for (const int64_t width : config_.tap_widths()) {
    auto lin = register_module("lin" + std::to_string(k++), std::make_shared<torch::nn::Module>());
    auto model = lin->register_module("model", std::make_shared<torch::nn::Module>());
    // model.0 is Dropout (no tensors, inactive in eval); model.1 the 1x1 convolution.
    lins_.push_back(model->register_module(
        "1", torch::nn::Conv2d(torch::nn::Conv2dOptions(width, 1, 1).bias(false))));
  }
}

std::vector<torch::Tensor> LpipsImpl::taps(const torch::Tensor& x) {
  std::vector<torch::Tensor> out;
  torch::Tensor h = x;
  for (std::size_t i = 0; i < convs_.size(); ++i) {
    if (pool_before(kVgg16[i].index)) h = torch::max_pool2d(h, 2, 2);
    h = torch::relu(convs_[i]->forward(h));
    if (kVgg16[i].tap_after) out.push_back(h);
  }
  return out;
}

std::vector<torch::Tensor> LpipsImpl::layer_terms(const torch::Tensor& in0,
                                                  const torch::Tensor& in1) {
  // lpips ScalingLayer (version 0.1): ImageNet statistics in [−1, 1] units.
  auto opts = in0.options();
  const auto shift = torch::tensor({-.030, -.088, -.188}, opts).view({1, 3, 1, 1});
  const auto scale = torch::tensor({.458, .448, .450}, opts).view({1, 3, 1, 1});
  const auto f0 = taps((in0 - shift) / scale);
  const auto f1 = taps((in1 - shift) / scale);
  // lpips.normalize_tensor: unit length over channels, eps added to the norm.
  auto unit = [](const torch::Tensor& f) { return f / (f.pow(2).sum(1, true).sqrt() + 1e-10); };
  std::vector<torch::Tensor> terms;
  for (std::size_t k = 0; k < f0.size(); ++k) {
    auto diff = (unit(f0[k]) - unit(f1[k])).pow(2);            // [B, C_k, h_k, w_k]
    terms.push_back(lins_[k]->forward(diff).mean({1, 2, 3}));  // [B]
  }
  return terms;
}

torch::Tensor LpipsImpl::forward(const torch::Tensor& in0, const torch::Tensor& in1) {
  const auto terms = layer_terms(in0, in1);
  torch::Tensor total = terms[0];
  for (std::size_t k = 1; k < terms.size(); ++k) total = total + terms[k];
  return total;
}

Lpips load_lpips(const std::vector<std::string>& paths, const torch::Device& device) {
  std::string source;
  for (const auto& p : paths) source += (source.empty() ? "" : " + ") + p;
  try {
    if (paths.empty()) throw Error(ErrorKind::ModelFiles, "no weight files given");
    static const std::regex slice_key(R"(net\.slice\d+\.(\d+)\.(weight|bias))");
    static const std::regex lins_key(R"(lins\.(\d+)\.(model\.1\.weight))");
    std::vector<io::TensorFile> files;
    for (const auto& p : paths) files.push_back(io::read_tensor_file(p));
    std::vector<io::NamedTensor> tensors;
    std::set<std::string> names;
    for (const auto& f : files)
      for (const auto& t : f.tensors) names.insert(t.name);
    for (const auto& f : files) {
      for (const auto& t : f.tensors) {
        std::smatch m;
        std::string name = t.name;
        // torchvision's classifier and lpips' constant scaling buffers are not needed.
        if (name.rfind("classifier.", 0) == 0 || name.rfind("scaling_layer.", 0) == 0) continue;
        if (std::regex_match(t.name, m, slice_key)) {
          name = "features." + m[1].str() + "." + m[2].str();
        } else if (std::regex_match(t.name, m, lins_key)) {
          // An lpips.LPIPS state dict lists each lin twice (linK and lins.K).
          name = "lin" + m[1].str() + "." + m[2].str();
          if (names.count(name)) continue;
        }
        tensors.push_back({name, t.tensor});
      }
    }
    Lpips lpips(infer_lpips_config(tensors));
    io::load_state_dict(*lpips, tensors, source);
    freeze(*lpips);
    lpips->to(device);
    log::nn()->info("LPIPS(vgg) from {}: width/{} ({} parameters) on {}", source,
                    lpips->config().width_divisor, parameter_count(*lpips), device.str());
    return lpips;
  } catch (...) {
    rethrow_with_stage("loading LPIPS from " + source);
  }
}

}  // namespace bd::nn
