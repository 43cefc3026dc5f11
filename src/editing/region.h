#pragma once
// Step 1 and the end of step 4 of "One edit, as data" (docs/ARCHITECTURE.md): from a
// full-resolution image and mask to the model-size square the sampler edits, and from
// the edited square back to a full-resolution image that differs from the original
// only inside the mask's feather band.
#include <opencv2/core/mat.hpp>

#include "bd/edit_params.h"
#include "bd/image.h"

namespace bd::editing {

// Defaults and ranges are the edit parameters' (bd/edit_param_table.h).
struct RegionParams {
  bool invert = EditParams().invert_mask;  // edit everything except the painted region
  int grow_px = EditParams().grow_px;      // > 0 dilates, < 0 erodes the mask (disk, full-resolution px)
  // Width of the soft edge outside the grown mask, in full-resolution px. Hides the
  // seam between the resampled model output and the untouched original.
  int feather_px = EditParams().feather_px;
  // Context around the mask, per side, as a fraction of the mask box's longer side:
  // the model (and CLIP) must see what surrounds the hole to fill it coherently.
  double padding = EditParams().padding;
};

struct PreparedRegion {
  int image_width = 0;
  int image_height = 0;
  int model_size = 0;
  cv::Rect box;            // context box in the full-resolution image
  cv::Rect model_content;  // where `box` lies in the model square; the rest is reflected
  cv::Mat model_rgb;       // CV_32FC3, model_size^2, RGB in [-1, 1]
  cv::Mat model_mask;      // CV_32FC1, model_size^2, 1 = the sampler may change it
  cv::Mat alpha_full;      // CV_32FC1, box-sized: feathered paste-back alpha in [0, 1]
};

// Throws bd::Error(InvalidInput) when the mask's size differs from the image's, when
// the mask is empty (after invert and grow), or for nonsensical parameters.
//
// The box is the grown mask's bounding box plus `padding`, made square and at least
// model_size wide when the image allows (so small masks are edited at native
// resolution instead of being upsampled), shrinking the padding before giving up the
// square, but always covering the feather band. When the image is narrower than the
// box in one direction, the box keeps the image's aspect and the model square is filled
// by reflecting the crop: distorting it would change what the model and CLIP see.
PreparedRegion prepare_region(const Image& image, const Image& mask, int model_size,
                              const RegionParams& params = {});

// Resizes the edited model square (CV_32FC3 RGB in [-1, 1]) back to the box and blends
// it into a copy of `original` with alpha_full, in the original's depth and channels
// (gray takes the luma of the edit, alpha stays the original's). Pixels with alpha 0
// are copied, not recomputed, so they are bit-identical to the input.
Image composite_region(const Image& original, const PreparedRegion& region,
                       const cv::Mat& edited_model_rgb);

// The same blend, returned as the box only (region.box of composite_region's result):
// what a preview needs, without copying the whole image.
Image composite_box(const Image& original, const PreparedRegion& region,
                    const cv::Mat& edited_model_rgb);

}  // namespace bd::editing
