#pragma once
// Training state as named tensors, so checkpoints are plain safetensors files: module
// weights under a prefix, AdamW moments per parameter, and scalars in the metadata.
#include <torch/nn/module.h>
#include <torch/optim/adamw.h>

#include <memory>
#include <string>
#include <vector>

#include "io/tensor_file.h"

namespace bd::toyworld {

// Parameters then buffers, named as the module's state dict ("input_blocks.0.0.weight").
std::vector<io::NamedTensor> module_tensors(const torch::nn::Module& module,
                                            const std::string& prefix = "");

// Copies `prefix + name` for every parameter and buffer of `module` from `file`.
// Throws bd::Error(ModelFiles) listing every missing or mis-shaped key.
void load_module_tensors(torch::nn::Module& module, const io::TensorFile& file,
                         const std::string& prefix = "");

// AdamW exp_avg / exp_avg_sq of the parameters of `module` (optimized in named_parameters
// order), as "<prefix><name>.exp_avg"; the step counts go into the metadata by the caller.
std::vector<io::NamedTensor> adamw_state_tensors(torch::optim::AdamW& optimizer,
                                                 const torch::nn::Module& module,
                                                 const std::string& prefix);
// Restores them with `step` as each parameter's step count. Missing state is an error.
void load_adamw_state(torch::optim::AdamW& optimizer, const torch::nn::Module& module,
                      const io::TensorFile& file, const std::string& prefix, int64_t step);

void set_learning_rate(torch::optim::AdamW& optimizer, double lr);

// ema ← rate·ema + (1 − rate)·model over the parameters (rate 0 copies).
void ema_update(const torch::nn::Module& model, torch::nn::Module& ema, double rate);
// The start of training with an EMA: the EMA a frozen copy of the model (eval, no
// gradients), the model in training mode, and its AdamW optimizer (no weight decay).
std::unique_ptr<torch::optim::AdamW> start_ema_training(torch::nn::Module& model, torch::nn::Module& ema, double lr);
// guided-diffusion's EMA rate, warmed up so that short runs export something sane.
double warm_ema_rate(double rate, int64_t steps_done);

// A trained network with EMA weights and AdamW moments: "<prefix>." weights,
// "<prefix>_ema." weights, "<prefix>_adam." moments.
std::vector<io::NamedTensor> ema_training_tensors(const torch::nn::Module& model,
                                                  const torch::nn::Module& ema,
                                                  torch::optim::AdamW& optimizer,
                                                  const std::string& prefix);
void load_ema_training_state(torch::nn::Module& model, torch::nn::Module& ema,
                             torch::optim::AdamW& optimizer, const io::TensorFile& file,
                             const std::string& prefix, int64_t step);

}  // namespace bd::toyworld
