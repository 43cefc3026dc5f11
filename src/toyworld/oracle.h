#pragma once
// The ToyWorld oracle: classical vision (OpenCV) that says which palette colour and which
// shape a masked region shows, so edits are scored without any learned model.
#include <optional>
#include <string>

#include "bd/image.h"
#include "toyworld/scene.h"

namespace bd::toyworld {

struct OracleReading {
  bool found = false;           // some object-palette colour covers enough of the region
  Colour colour = Colour::Red;  // the dominant object-palette colour in the region
  Shape shape = Shape::Circle;  // of that colour's largest connected component
  double colour_fraction = 0;   // share of the region's pixels with that colour
  // Shape features of the component (for logs and tuning).
  double solidity = 0, circle_fill = 0, rect_fill = 0, triangle_fill = 0, hole_ratio = 0;
  std::string describe() const;
};

struct OracleOptions {
  double max_colour_distance = 60;  // RGB distance to a palette colour to count as it
  double min_fraction = 0.04;       // share of the region the dominant colour needs
  int upscale = 8;                  // contours are traced on an upscaled region
};

// image: RGB 8-bit; mask: 1 channel, non-zero inside the region (same size).
// Throws bd::Error(InvalidInput) on mismatched or unsupported images.
OracleReading read_region(const Image& image, const Image& mask, const OracleOptions& options = {});

// Nearest object-palette colour of an RGB value, if within max_distance.
std::optional<Colour> classify_colour(Rgb rgb, double max_distance = 60);

struct OracleVerdict {
  bool colour_ok = false;
  bool shape_ok = false;
  bool ok() const { return colour_ok && shape_ok; }
  OracleReading reading;
};

OracleVerdict judge(const Image& image, const Image& mask, Colour colour, Shape shape,
                    const OracleOptions& options = {});

}  // namespace bd::toyworld
