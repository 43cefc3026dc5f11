// libFuzzer target: the whitelisting unpickler with the PyTorch hooks, as a plain
// checkpoint (state dict) and as a TorchScript archive's data.pkl (__torch__ classes),
// then tensor materialisation and state-dict flattening over stand-in storages.
#include <map>

#include "bd/error.h"
#include "fuzz_tensors.h"
#include "io/pickle.h"
#include "io/torch_pickle.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bd::io;
  for (const bool script : {false, true}) {
    try {
      std::vector<pickle::ValueId> storages;
      TorchPickleOptions options;
      options.allow_torchscript_classes = script;
      pickle::Unpickler unpickler(data, size, "fuzz", torch_pickle_hooks(options, &storages));
      pickle::Pickle root = unpickler.load();
      // The zip reader fills storages from archive entries; small ones get zeros here so
      // that the views over them are checked too.
      for (const pickle::ValueId id : storages) {
        pickle::Value& s = root.values[id];
        if (!s.tensor.defined() && s.numel >= 0 && s.numel <= 4096)
          s.tensor = torch::zeros({s.numel}, torch::TensorOptions().dtype(s.dtype));
      }
      materialize_tensors(root, "fuzz");
      std::vector<NamedTensor> tensors;
      std::map<std::string, std::string> metadata;
      flatten_state_dict(root, "fuzz", &tensors, &metadata);
      bd::fuzz::touch_all(tensors);
    } catch (const bd::Error&) {
    }
  }
  return 0;
}
