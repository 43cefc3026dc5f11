// libFuzzer target: the safetensors reader (header JSON, dtypes, shapes, offsets).
#include "fuzz_tensors.h"
#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bd::fuzz::read_and_touch("input.safetensors", data, size,
                           [](const std::string& path) { return bd::io::read_safetensors(path); });
  return 0;
}
