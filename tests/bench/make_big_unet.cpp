// Writes the 256x256 unconditional UNet (552,814,086 random float32 parameters, the
// published checkpoint's names and shapes) as safetensors, for bench_load_memory.
#include <cstdio>

#include "io/safetensors.h"
#include "nn/layers.h"
#include "nn/unet.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: make_big_unet OUT.safetensors\n");
    return 2;
  }
  bd::nn::UNet unet(bd::nn::UNetConfig{});
  bd::io::write_safetensors(argv[1], bd::nn::named_tensors(*unet));
  return 0;
}
