#include "toyworld/checkpoint.h"

#include <torch/torch.h>

#include <algorithm>
#include <sstream>
#include <type_traits>

#include "bd/error.h"

namespace bd::toyworld {

namespace {

// The optimizer keys its per-parameter state by the parameter's TensorImpl: as a string of
// the address up to LibTorch 2.1, as the address itself since 2.2. Both builds must resume
// the same checkpoints, so the key follows the map's own key type.
template <typename StateMap>
typename StateMap::key_type state_key(const StateMap&, const torch::Tensor& parameter) {
  using Key = typename StateMap::key_type;
  void* const impl = parameter.unsafeGetTensorImpl();
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream address;  // the format c10::guts::to_string wrote for these keys
    address << impl;
    return address.str();
  } else {
    return static_cast<Key>(impl);
  }
}

}  // namespace

std::vector<io::NamedTensor> module_tensors(const torch::nn::Module& module,
                                            const std::string& prefix) {
  std::vector<io::NamedTensor> out;
  for (const auto& p : module.named_parameters())
    out.push_back({prefix + p.key(), p.value().detach()});
  for (const auto& b : module.named_buffers())
    out.push_back({prefix + b.key(), b.value().detach()});
  return out;
}

void load_module_tensors(torch::nn::Module& module, const io::TensorFile& file,
                         const std::string& prefix) {
  torch::NoGradGuard no_grad;
  std::string problems;
  auto copy = [&](const std::string& name, torch::Tensor target) {
    const torch::Tensor* t = file.find(prefix + name);
    if (t == nullptr) {
      problems += " missing " + prefix + name + ";";
    } else if (t->sizes() != target.sizes()) {
      problems += " " + prefix + name + " has a different shape;";
    } else {
      target.copy_(*t);
    }
  };
  for (auto& p : module.named_parameters()) copy(p.key(), p.value());
  for (auto& b : module.named_buffers()) copy(b.key(), b.value());
  if (!problems.empty()) throw Error(ErrorKind::ModelFiles, file.path + ":" + problems);
}

std::vector<io::NamedTensor> adamw_state_tensors(torch::optim::AdamW& optimizer,
                                                 const torch::nn::Module& module,
                                                 const std::string& prefix) {
  std::vector<io::NamedTensor> out;
  auto& state = optimizer.state();
  for (const auto& p : module.named_parameters()) {
    const auto it = state.find(state_key(state, p.value()));
    if (it == state.end()) continue;  // not stepped yet
    const auto& s = static_cast<const torch::optim::AdamWParamState&>(*it->second);
    out.push_back({prefix + p.key() + ".exp_avg", s.exp_avg()});
    out.push_back({prefix + p.key() + ".exp_avg_sq", s.exp_avg_sq()});
  }
  return out;
}

void load_adamw_state(torch::optim::AdamW& optimizer, const torch::nn::Module& module,
                      const io::TensorFile& file, const std::string& prefix, int64_t step) {
  if (step == 0) return;
  auto& state = optimizer.state();
  for (const auto& p : module.named_parameters()) {
    const torch::Tensor& avg = file.at(prefix + p.key() + ".exp_avg");
    const torch::Tensor& avg_sq = file.at(prefix + p.key() + ".exp_avg_sq");
    auto s = std::make_unique<torch::optim::AdamWParamState>();
    s->step(step);
    s->exp_avg(avg.clone());  // the file's tensors alias a read-only mapping
    s->exp_avg_sq(avg_sq.clone());
    state[state_key(state, p.value())] = std::move(s);
  }
}

void set_learning_rate(torch::optim::AdamW& optimizer, double lr) {
  for (auto& group : optimizer.param_groups())
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
}

void ema_update(const torch::nn::Module& model, torch::nn::Module& ema, double rate) {
  torch::NoGradGuard no_grad;
  const auto src = model.parameters();
  auto dst = ema.parameters();
  for (std::size_t i = 0; i < src.size(); ++i) dst[i].mul_(rate).add_(src[i], 1.0 - rate);
}

std::unique_ptr<torch::optim::AdamW> start_ema_training(torch::nn::Module& model, torch::nn::Module& ema,
                                                        double lr) {
  ema_update(model, ema, 0.0);
  for (auto& p : ema.parameters()) p.set_requires_grad(false);
  ema.eval();
  model.train();
  return std::make_unique<torch::optim::AdamW>(model.parameters(), torch::optim::AdamWOptions(lr).weight_decay(0.0));
}

double warm_ema_rate(double rate, int64_t steps_done) {
  return std::min(rate, (1.0 + steps_done) / (10.0 + steps_done));
}

std::vector<io::NamedTensor> ema_training_tensors(const torch::nn::Module& model,
                                                  const torch::nn::Module& ema,
                                                  torch::optim::AdamW& optimizer,
                                                  const std::string& prefix) {
  auto out = module_tensors(model, prefix + ".");
  auto e = module_tensors(ema, prefix + "_ema.");
  auto adam = adamw_state_tensors(optimizer, model, prefix + "_adam.");
  out.insert(out.end(), e.begin(), e.end());
  out.insert(out.end(), adam.begin(), adam.end());
  return out;
}

void load_ema_training_state(torch::nn::Module& model, torch::nn::Module& ema,
                             torch::optim::AdamW& optimizer, const io::TensorFile& file,
                             const std::string& prefix, int64_t step) {
  load_module_tensors(model, file, prefix + ".");
  load_module_tensors(ema, file, prefix + "_ema.");
  load_adamw_state(optimizer, model, file, prefix + "_adam.", step);
}

}  // namespace bd::toyworld
