#pragma once
// The PyTorch side of unpickling: which globals a state dict may name, how storages
// and tensors are rebuilt, and how a nested result becomes a flat list of tensors.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "io/pickle.h"
#include "io/tensor_file.h"

namespace bd::io {

struct TorchPickleOptions {
  // TorchScript archives name their own classes (`__torch__.*`) and list helpers.
  bool allow_torchscript_classes = false;
};

// Hooks for the pickle layer. persistent ids ('storage', <dtype>, key, location, numel
// [, view]) become Storage values whose data `resolve` fills in later.
pickle::Hooks torch_pickle_hooks(const TorchPickleOptions& options,
                                 std::vector<pickle::ValueId>* storages_seen);

// Turns every Tensor value reachable from the pickle's root into a real torch::Tensor over
// its resolved storage, checking that each view lies inside the storage.
void materialize_tensors(pickle::Pickle& pickle, const std::string& source);

// A state dict (possibly nested: {"state_dict": {...}}, {"model": ...}) flattened to
// "a.b.c" names in pickle order; non-tensor leaves go to `metadata` as text.
void flatten_state_dict(const pickle::Pickle& pickle, const std::string& source,
                        std::vector<NamedTensor>* tensors,
                        std::map<std::string, std::string>* metadata);

}  // namespace bd::io
