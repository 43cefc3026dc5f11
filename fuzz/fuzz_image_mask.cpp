// libFuzzer target: an image and a mask file as the editor loads them (PNG, JPEG, WebP,
// TIFF, BMP; EXIF orientation; PNG text, EXIF UserComment), then the region preparation
// and paste-back that every edit starts and ends with. Input: 4-byte little-endian length of the
// image file, the image file, then the mask file.
#include <opencv2/core.hpp>

#include "bd/error.h"
#include "bd/image.h"
#include "editing/region.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 5) return 0;
  const std::uint32_t declared = data[0] | (data[1] << 8) | (data[2] << 16) | (std::uint32_t(data[3]) << 24);
  const std::size_t image_bytes = std::min<std::size_t>(declared, size - 4);
  const std::uint8_t flags = data[size - 1];  // region parameters, from the mask's last byte
  const std::string image_path = bd::fuzz::input_file("image", data + 4, image_bytes);
  const std::string mask_path = bd::fuzz::input_file("mask", data + 4 + image_bytes, size - 4 - image_bytes);
  bd::Image image, mask;
  try {
    image = bd::load_image(image_path);
    bd::read_image_text(image_path);  // PNG text chunks, or the EXIF UserComment
  } catch (const bd::Error&) {
    return 0;
  }
  try {
    mask = bd::load_image(mask_path);
  } catch (const bd::Error&) {
    return 0;
  }
  // A 2 KB JPEG can declare 2^28 pixels (the loader's limit, accepted on purpose): decoding
  // it is what this target checks; the region code is linear in the pixels and the same
  // on 16 Mpx, where ASan runs it in seconds rather than minutes.
  if (static_cast<long long>(image.width) * image.height > (1LL << 24)) return 0;
  try {
    if (mask.width != image.width || mask.height != image.height)
      mask = bd::resize_nearest(mask, image.width, image.height);  // as --resize-mask does
    bd::editing::RegionParams params;
    params.invert = flags & 1;
    params.grow_px = static_cast<int>((flags >> 1) & 7) - 3;
    params.feather_px = (flags >> 4) & 7;
    params.padding = (flags & 0x80) ? 0.0 : 0.25;
    const auto region = bd::editing::prepare_region(image, mask, 32, params);
    const bd::Image out = bd::editing::composite_region(image, region, region.model_rgb);
    bd::fuzz::touch_bytes(out.data.data(), out.data.size());
  } catch (const bd::Error&) {
  }
  return 0;
}
