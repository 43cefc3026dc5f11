#include "nn/layers.h"

#include <torch/torch.h>

#include <new>

#include "bd/error.h"

namespace bd::nn {

GroupNorm32Impl::GroupNorm32Impl(int64_t channels)
    : torch::nn::GroupNormImpl(torch::nn::GroupNormOptions(32, channels).eps(1e-5)) {}

torch::Tensor GroupNorm32Impl::forward(const torch::Tensor& x) {
  return torch::nn::GroupNormImpl::forward(x.to(torch::kFloat32)).to(x.scalar_type());
}

LayerNorm32Impl::LayerNorm32Impl(int64_t width)
    : torch::nn::LayerNormImpl(torch::nn::LayerNormOptions({width}).eps(1e-5)) {}

torch::Tensor LayerNorm32Impl::forward(const torch::Tensor& x) {
  return torch::nn::LayerNormImpl::forward(x.to(torch::kFloat32)).to(x.scalar_type());
}

void freeze(torch::nn::Module& module) {
  for (auto& p : module.parameters(/*recurse=*/true)) p.requires_grad_(false);
  module.eval();
}

std::vector<io::NamedTensor> named_tensors(const torch::nn::Module& module) {
  std::vector<io::NamedTensor> out;
  for (const auto& p : module.named_parameters(/*recurse=*/true))
    out.push_back({p.key(), p.value()});
  for (const auto& b : module.named_buffers(/*recurse=*/true)) out.push_back({b.key(), b.value()});
  return out;
}

int64_t parameter_count(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters(/*recurse=*/true)) n += p.numel();
  return n;
}

void rethrow_with_stage(const std::string& stage) {
  try {
    throw;
  } catch (const Error& e) {
    throw e.with_context(stage);
  } catch (const c10::OutOfMemoryError& e) {
    throw Error(ErrorKind::OutOfMemory, stage + ": " + e.what_without_backtrace());
  } catch (const c10::Error& e) {
    throw Error(ErrorKind::Backend, stage + ": " + e.what_without_backtrace());
  } catch (const std::bad_alloc&) {
    throw Error(ErrorKind::OutOfMemory, stage + ": out of host memory");
  } catch (const std::exception& e) {
    throw Error(ErrorKind::Backend, stage + ": " + e.what());
  }
}

std::vector<io::NamedTensor> strip_prefix(const std::vector<io::NamedTensor>& tensors,
                                          const std::string& prefix, bool drop_others) {
  std::vector<io::NamedTensor> out;
  for (const auto& t : tensors) {
    if (t.name.rfind(prefix, 0) == 0)
      out.push_back({t.name.substr(prefix.size()), t.tensor});
    else if (!drop_others)
      out.push_back(t);
  }
  return out;
}

}  // namespace bd::nn
