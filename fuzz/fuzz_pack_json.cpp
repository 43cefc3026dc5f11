// libFuzzer target: a model pack's pack.json (manifest, file entries, edit defaults)
// and the presence/size check of the files it names.
#include "bd/error.h"
#include "bd/model_pack.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string dir = bd::fuzz::input_dir("pack");
  bd::fuzz::input_file("pack/pack.json", data, size);
  try {
    const bd::ModelPack pack = bd::load_model_pack(dir);
    // Sizes only: hashing whatever absolute path the input names could take minutes.
    bd::verify_model_pack(pack, /*hash_files=*/false);
  } catch (const bd::Error&) {
  }
  return 0;
}
