// libFuzzer target: the safetensors reader (header JSON, dtypes, shapes, offsets).
#include "bd/error.h"
#include "fuzz_tensors.h"
#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = bd::fuzz::input_file("input.safetensors", data, size);
  try {
    bd::fuzz::touch_all(bd::io::read_safetensors(path).tensors);
  } catch (const bd::Error&) {
    // A clear refusal is the expected outcome for most inputs.
  }
  return 0;
}
