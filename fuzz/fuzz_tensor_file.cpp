// libFuzzer target behind two names with their own seed corpora: fuzz_torch_checkpoint
// (PyTorch checkpoints: zip with data.pkl and storages, deflated entries, ZIP64, and the
// legacy pre-1.6 format) and fuzz_torchscript (TorchScript archives: code/, constants.pkl
// and a data.pkl of __torch__ objects). Both go through read_tensor_file, as the CLI and
// the engine call it, since the format is told by the bytes, not by the file name.
#include "fuzz_tensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bd::fuzz::read_and_touch("input.pt", data, size,
                           [](const std::string& path) { return bd::io::read_tensor_file(path); });
  return 0;
}
