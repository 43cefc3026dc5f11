#pragma once
// ToyWorld: a procedural world of coloured shapes on simple backgrounds, deterministic by
// seed, in which edits can be scored objectively (oracle.h). Torch-free; tensors are made
// by the trainers from the bd::Image this returns.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bd/image.h"

namespace bd::toyworld {

enum class Shape { Circle, Square, Triangle, Star, Ring };
enum class Colour { Red, Orange, Yellow, Green, Blue, Purple, White, Black };
enum class Size { Small, Medium, Large };
enum class Background { Flat, Gradient, Horizon, Stripes, Checker, Noise };

constexpr int kNumShapes = 5;
constexpr int kNumColours = 8;
constexpr int kNumSizes = 3;
constexpr int kNumBackgrounds = 6;

// The pack resolution (see models/toyworld/pack.json).
constexpr int kImageSize = 32;

// Training draws scene seeds with this bit set (training_seed); benchmarks and tests use
// seeds below it, so held-out scenes are never seen in training.
constexpr std::uint64_t kTrainingSeedBit = 1ull << 63;

const char* name(Shape shape);
const char* name(Colour colour);
const char* name(Size size);
const char* name(Background background);
std::optional<Shape> parse_shape(const std::string& word);
std::optional<Colour> parse_colour(const std::string& word);
std::optional<Size> parse_size(const std::string& word);

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
};

// The fixed object palette (saturated). Backgrounds use the muted version (half-way to
// mid-grey), which the oracle does not mistake for any object colour.
Rgb palette(Colour colour);
Rgb muted(Colour colour);

struct Box {
  int x = 0, y = 0, w = 0, h = 0;  // pixels; [x, x+w) × [y, y+h)
};

struct SceneObject {
  Shape shape = Shape::Circle;
  Colour colour = Colour::Red;
  Size size = Size::Medium;
  double cx = 0, cy = 0;  // centre, pixels
  double radius = 0;      // circumradius, pixels
  double angle = 0;       // degrees
  Box bbox;               // the drawn pixels' bounding box
};

struct Scene {
  std::uint64_t seed = 0;
  int size = kImageSize;
  Background background = Background::Flat;
  Colour background_colour = Colour::Green;
  Colour background_colour2 = Colour::Blue;  // unused by Flat
  std::vector<SceneObject> objects;
  std::string caption;
  Image image;  // RGB, 8 bit, size × size
};

struct SceneOptions {
  int size = kImageSize;
  int min_objects = 0;
  int max_objects = 3;
  // Probability that a caption names an object's size ("a small blue star").
  double size_word_probability = 0.5;
};

Scene generate_scene(std::uint64_t seed, const SceneOptions& options = {});

// Draws one object into an RGB image (anti-aliased: rendered at 4× and area-reduced).
void draw_object(Image& image, const SceneObject& object);

// Circumradius range (fractions of the image size) of a size class.
std::array<double, 2> radius_range(Size size);

// "a red circle", "a small blue star".
std::string object_phrase(Colour colour, Shape shape, std::optional<Size> size = std::nullopt);
// "on a green background", "on a red and blue striped background"; with_on false drops "on".
std::string background_phrase(const Scene& scene, bool with_on = true);

// An edit task: a scene, a mask (one object's region with a margin, or an empty area
// with a margin), and the prompt "a <colour> <shape>" (optionally with a size word).
struct EditCase {
  Scene scene;
  Image mask;  // 1 channel, 0 or 255
  Box mask_box;
  int object_index = -1;  // masked object, -1 for an empty area
  Colour colour = Colour::Red;
  Shape shape = Shape::Circle;
  std::optional<Size> size;
  std::string prompt;
};

struct EditCaseOptions {
  SceneOptions scene;
  double empty_area_probability = 0.3;
  double size_word_probability = 0.3;
  int min_margin = 2, max_margin = 4;  // pixels around the object (or requested size)
};

// The requested colour never equals a background colour and (colour, shape) always
// differs from the masked object's.
EditCase generate_edit_case(std::uint64_t seed, const EditCaseOptions& options = {});

// Seeds of training scenes: a hash of (run seed, stream, step, index) with kTrainingSeedBit.
std::uint64_t training_seed(std::uint64_t run_seed, std::uint64_t stream, std::uint64_t step,
                            std::uint64_t index);
std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b);

// Every caption and prompt form the world produces, for learning the BPE merges.
std::vector<std::string> caption_corpus(std::uint64_t seed, int scenes);

}  // namespace bd::toyworld
