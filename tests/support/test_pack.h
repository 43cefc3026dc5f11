#pragma once
// A model pack built from the reference vectors' small random models (UNet of
// unet_dev.pt, CLIP of clip_dev.pt, a five-merge tokenizer), plus an input scene, for
// engine, CLI and GUI tests that need a real pack but no trained weights.
#include <string>

#include "bd/image.h"
#include "test_images.h"  // rect_mask: the masks of edits on the pack

namespace bd::test {

// Writes DIR/{pack.json, unet.safetensors, clip.safetensors, merges.txt} and returns DIR.
std::string make_reference_test_pack(const std::string& dir);

// Writes DIR/{image.png (60x44 RGB), mask.png, empty_mask.png, small_mask.png (16x16)}.
void make_test_scene(const std::string& dir);

}  // namespace bd::test
