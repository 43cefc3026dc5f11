// libFuzzer target: a model pack's pack.json (manifest, file entries, the network and
// diffusion configs, edit defaults) and the presence/size check of the files it names.
// A pack that loads must be one the engine can build: its configs pass the networks' own
// checks (an escaping bd::Error ends the run as a finding).
#include "bd/error.h"
#include "bd/model_pack.h"
#include "diffusion/schedule.h"
#include "fuzz_support.h"
#include "nn/unet_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string dir = bd::fuzz::input_dir("pack");
  bd::fuzz::input_file("pack/pack.json", data, size);
  bd::ModelPack pack;
  try {
    pack = bd::load_model_pack(dir);
  } catch (const bd::Error&) {
    return 0;
  }
  if (pack.unet_args) bd::nn::unet_config_from_args(*pack.unet_args);
  if (pack.clip_config &&
      pack.clip_config->transformer_width % pack.clip_config->transformer_heads != 0)
    __builtin_trap();
  bd::diffusion::named_beta_schedule(pack.diffusion.noise_schedule, pack.diffusion.steps);
  // Sizes only: hashing whatever absolute path the input names could take minutes.
  bd::verify_model_pack(pack, /*hash_files=*/false);
  return 0;
}
