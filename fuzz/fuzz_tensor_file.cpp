// libFuzzer target behind two names with their own seed corpora: fuzz_torch_checkpoint
// (PyTorch checkpoints: zip with data.pkl and storages, deflated entries, ZIP64, and the
// legacy pre-1.6 format) and fuzz_torchscript (TorchScript archives: code/, constants.pkl
// and a data.pkl of __torch__ objects). Both go through read_tensor_file, as the CLI and
// the engine call it, since the format is told by the bytes, not by the file name.
#include "bd/error.h"
#include "fuzz_tensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = bd::fuzz::input_file("input.pt", data, size);
  try {
    bd::fuzz::touch_all(bd::io::read_tensor_file(path).tensors);
  } catch (const bd::Error&) {
  }
  return 0;
}
