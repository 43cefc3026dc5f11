#include "toyworld/scene.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "bd/error.h"

namespace bd::toyworld {

namespace {

constexpr int kSuper = 4;  // supersampling factor of the renderer
constexpr double kPi = 3.14159265358979323846;

// splitmix64: cheap, well-mixed, identical on every platform (std distributions are not).
std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(splitmix(seed)) {}
  std::uint64_t next() { return state_ = splitmix(state_); }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  int index(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
  bool chance(double p) { return uniform() < p; }

 private:
  std::uint64_t state_;
};

const char* const kShapeNames[] = {"circle", "square", "triangle", "star", "ring"};
const char* const kColourNames[] = {"red",  "orange", "yellow", "green",
                                    "blue", "purple", "white",  "black"};
const char* const kSizeNames[] = {"small", "medium", "large"};
const char* const kBackgroundNames[] = {"flat",    "gradient", "horizon",
                                        "stripes", "checker",  "noise"};

const Rgb kPalette[] = {{220, 30, 30}, {245, 140, 20}, {245, 225, 30},  {30, 170, 50},
                        {30, 70, 220}, {140, 40, 190}, {245, 245, 245}, {15, 15, 15}};

// How far the drawn shape reaches beyond `radius` (the circle's radius), for placement.
constexpr double kExtent = 1.2;

cv::Vec3d vec(Rgb c) { return {double(c.r), double(c.g), double(c.b)}; }

cv::Mat to_mat(Image& image) {
  return cv::Mat(image.height, image.width, CV_8UC3, image.data.data());
}

std::vector<cv::Point> polygon(const SceneObject& o, double scale, int shift) {
  const double f = scale * (1 << shift);
  const double a0 = o.angle * kPi / 180.0;
  std::vector<cv::Point> pts;
  auto add = [&](double r, double a) {
    pts.emplace_back(static_cast<int>(std::lround((o.cx + r * std::sin(a)) * f)),
                     static_cast<int>(std::lround((o.cy - r * std::cos(a)) * f)));
  };
  switch (o.shape) {
    case Shape::Square:
      for (int i = 0; i < 4; ++i) add(o.radius * 0.88 * std::sqrt(2.0), a0 + kPi / 4 + i * kPi / 2);
      break;
    case Shape::Triangle:
      // Centroid shifted down so that the triangle's box is centred on (cx, cy).
      for (int i = 0; i < 3; ++i) {
        const double r = o.radius * 1.15, a = a0 + i * 2 * kPi / 3;
        pts.emplace_back(static_cast<int>(std::lround((o.cx + r * std::sin(a)) * f)),
                         static_cast<int>(std::lround((o.cy + 0.25 * r - r * std::cos(a)) * f)));
      }
      break;
    case Shape::Star:
      for (int i = 0; i < 10; ++i) add(o.radius * (i % 2 ? 0.5 : 1.2), a0 + i * kPi / 5);
      break;
    default:
      break;
  }
  return pts;
}

// Coverage of the object at the image's resolution, CV_32F in [0, 1].
cv::Mat coverage(const SceneObject& o, int size) {
  constexpr int kShift = 4;
  cv::Mat hi = cv::Mat::zeros(size * kSuper, size * kSuper, CV_8UC1);
  const double f = kSuper * (1 << kShift);
  const cv::Point centre(static_cast<int>(std::lround(o.cx * f)),
                         static_cast<int>(std::lround(o.cy * f)));
  if (o.shape == Shape::Circle || o.shape == Shape::Ring) {
    cv::circle(hi, centre, static_cast<int>(std::lround(o.radius * f)), 255, cv::FILLED,
               cv::LINE_AA, kShift);
    if (o.shape == Shape::Ring)
      cv::circle(hi, centre, static_cast<int>(std::lround(o.radius * 0.55 * f)), 0, cv::FILLED,
                 cv::LINE_AA, kShift);
  } else {
    const auto pts = polygon(o, kSuper, kShift);
    cv::fillPoly(hi, std::vector<std::vector<cv::Point>>{pts}, 255, cv::LINE_AA, kShift);
  }
  cv::Mat lo;
  cv::resize(hi, lo, cv::Size(size, size), 0, 0, cv::INTER_AREA);
  lo.convertTo(lo, CV_32F, 1.0 / 255.0);
  return lo;
}

// Background at 4× as CV_64FC3 (RGB), reduced by area at the end.
Image render_background(const Scene& s, Rng& rng) {
  const int n = s.size * kSuper;
  const cv::Vec3d c1 = vec(muted(s.background_colour)), c2 = vec(muted(s.background_colour2));
  cv::Mat t(n, n, CV_64F, cv::Scalar(0));  // 0 → c1, 1 → c2
  switch (s.background) {
    case Background::Flat:
      break;
    case Background::Gradient:
      for (int y = 0; y < n; ++y) t.row(y).setTo((y + 0.5) / n);
      break;
    case Background::Horizon: {
      const int split = static_cast<int>(rng.uniform(0.35, 0.65) * n);
      t.rowRange(split, n).setTo(1.0);
      break;
    }
    case Background::Stripes: {
      const double period = rng.uniform(6, 11) * kSuper, phase = rng.uniform(0, period);
      const bool vertical = rng.chance(0.5);
      for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x)
          t.at<double>(y, x) =
              std::fmod((vertical ? x : y) + phase, period) < period / 2 ? 0.0 : 1.0;
      break;
    }
    case Background::Checker: {
      const double cell = rng.uniform(4, 9) * kSuper;
      const double ox = rng.uniform(0, cell), oy = rng.uniform(0, cell);
      for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x)
          t.at<double>(y, x) =
              (static_cast<int>((x + ox) / cell) + static_cast<int>((y + oy) / cell)) % 2;
      break;
    }
    case Background::Noise: {
      const int g = 3 + rng.index(3);
      cv::Mat grid(g, g, CV_64F);
      for (int i = 0; i < g * g; ++i) grid.at<double>(i / g, i % g) = rng.uniform();
      cv::resize(grid, t, cv::Size(n, n), 0, 0, cv::INTER_CUBIC);
      cv::min(cv::max(t, 0.0), 1.0, t);
      break;
    }
  }
  cv::Mat hi(n, n, CV_64FC3);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      const double v = t.at<double>(y, x);
      hi.at<cv::Vec3d>(y, x) = c1 * (1 - v) + c2 * v;
    }
  cv::Mat lo;
  cv::resize(hi, lo, cv::Size(s.size, s.size), 0, 0, cv::INTER_AREA);
  Image image;
  image.width = image.height = s.size;
  image.channels = 3;
  image.data.resize(static_cast<std::size_t>(s.size) * s.size * 3);
  lo.convertTo(to_mat(image), CV_8UC3);
  return image;
}

Box bounding_box(const cv::Mat& cover) {
  cv::Mat on = cover > 0.1f;
  std::vector<cv::Point> pts;
  cv::findNonZero(on, pts);
  if (pts.empty()) return {};
  const cv::Rect r = cv::boundingRect(pts);
  return {r.x, r.y, r.width, r.height};
}

bool boxes_overlap(const Box& a, const Box& b, int gap) {
  return a.x - gap < b.x + b.w && b.x - gap < a.x + a.w && a.y - gap < b.y + b.h &&
         b.y - gap < a.y + a.h;
}

// Places one object of this size class without overlapping `objects`; false when the
// scene has no room left.
bool place(Rng& rng, int size, Size cls, const std::vector<SceneObject>& objects, SceneObject& o) {
  const auto range = radius_range(cls);
  o.size = cls;
  o.radius = rng.uniform(range[0], range[1]) * size;
  const double ext = kExtent * o.radius;
  for (int attempt = 0; attempt < 40; ++attempt) {
    o.cx = rng.uniform(ext, size - ext);
    o.cy = rng.uniform(ext, size - ext);
    bool free = true;
    for (const auto& other : objects)
      if (std::hypot(o.cx - other.cx, o.cy - other.cy) < kExtent * (o.radius + other.radius) + 1.5)
        free = false;
    if (free) return true;
  }
  return false;
}

template <typename T>
std::optional<T> parse_name(const std::string& word, const char* const* names, int count) {
  for (int i = 0; i < count; ++i)
    if (word == names[i]) return static_cast<T>(i);
  return std::nullopt;
}

}  // namespace

const char* name(Shape shape) { return kShapeNames[static_cast<int>(shape)]; }
const char* name(Colour colour) { return kColourNames[static_cast<int>(colour)]; }
const char* name(Size size) { return kSizeNames[static_cast<int>(size)]; }
const char* name(Background background) { return kBackgroundNames[static_cast<int>(background)]; }
std::optional<Shape> parse_shape(const std::string& w) {
  return parse_name<Shape>(w, kShapeNames, kNumShapes);
}
std::optional<Colour> parse_colour(const std::string& w) {
  return parse_name<Colour>(w, kColourNames, kNumColours);
}
std::optional<Size> parse_size(const std::string& w) {
  return parse_name<Size>(w, kSizeNames, kNumSizes);
}

Rgb palette(Colour colour) { return kPalette[static_cast<int>(colour)]; }

Rgb muted(Colour colour) {
  const Rgb c = palette(colour);
  auto m = [](std::uint8_t v) { return static_cast<std::uint8_t>((v + 128 + 1) / 2); };
  return {m(c.r), m(c.g), m(c.b)};
}

std::array<double, 2> radius_range(Size size) {
  switch (size) {
    case Size::Small:
      return {0.13, 0.16};
    case Size::Medium:
      return {0.18, 0.22};
    default:
      return {0.25, 0.29};
  }
}

std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b) {
  return splitmix(splitmix(a) ^ (b * 0x632be59bd9b4e019ull));
}

std::uint64_t training_seed(std::uint64_t run_seed, std::uint64_t stream, std::uint64_t step,
                            std::uint64_t index) {
  return mix_seed(mix_seed(mix_seed(run_seed, stream), step), index) | kTrainingSeedBit;
}

void draw_object(Image& image, const SceneObject& object) {
  if (image.channels != 3 || image.depth != 8 || image.width != image.height)
    throw Error(ErrorKind::InvalidInput, "toyworld draw_object: needs a square 8-bit RGB image");
  const cv::Mat cover = coverage(object, image.width);
  const cv::Vec3d c = vec(palette(object.colour));
  cv::Mat m = to_mat(image);
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) {
      const double a = cover.at<float>(y, x);
      if (a <= 0) continue;
      cv::Vec3b& p = m.at<cv::Vec3b>(y, x);
      for (int k = 0; k < 3; ++k) p[k] = cv::saturate_cast<std::uint8_t>(p[k] * (1 - a) + c[k] * a);
    }
}

namespace {

// "a" or "an" as the next word asks ("an orange circle", "a small orange circle").
std::string with_article(const std::string& words) {
  return (std::string("aeiou").find(words.at(0)) != std::string::npos ? "an " : "a ") + words;
}

}  // namespace

std::string object_phrase(Colour colour, Shape shape, std::optional<Size> size) {
  std::string s;
  if (size) s += std::string(name(*size)) + " ";
  return with_article(s + name(colour) + " " + name(shape));
}

std::string background_phrase(const Scene& scene, bool with_on) {
  const std::string c1 = name(scene.background_colour), c2 = name(scene.background_colour2);
  std::string p;
  switch (scene.background) {
    case Background::Flat:
      p = c1 + " background";
      break;
    case Background::Gradient:
      p = c1 + " to " + c2 + " gradient background";
      break;
    case Background::Horizon:
      p = c1 + " and " + c2 + " split background";
      break;
    case Background::Stripes:
      p = c1 + " and " + c2 + " striped background";
      break;
    case Background::Checker:
      p = c1 + " and " + c2 + " checkered background";
      break;
    case Background::Noise:
      p = c1 + " and " + c2 + " mottled background";
      break;
  }
  p = with_article(p);
  return with_on ? "on " + p : p;
}

Scene generate_scene(std::uint64_t seed, const SceneOptions& options) {
  if (options.size < 16 || options.min_objects < 0 || options.max_objects < options.min_objects)
    throw Error(ErrorKind::InvalidInput, "toyworld: bad scene options");
  Rng rng(seed);
  Scene s;
  s.seed = seed;
  s.size = options.size;
  s.background = static_cast<Background>(rng.index(kNumBackgrounds));
  s.background_colour = static_cast<Colour>(rng.index(kNumColours));
  do s.background_colour2 = static_cast<Colour>(rng.index(kNumColours));
  while (s.background_colour2 == s.background_colour);
  const bool two_colours = s.background != Background::Flat;
  s.image = render_background(s, rng);

  const int count = options.min_objects + rng.index(options.max_objects - options.min_objects + 1);
  std::vector<std::string> phrases;
  for (int i = 0; i < count; ++i) {
    SceneObject o;
    o.shape = static_cast<Shape>(rng.index(kNumShapes));
    do o.colour = static_cast<Colour>(rng.index(kNumColours));
    while (o.colour == s.background_colour || (two_colours && o.colour == s.background_colour2));
    o.angle = rng.uniform(-12, 12);
    if (!place(rng, s.size, static_cast<Size>(rng.index(kNumSizes)), s.objects, o)) continue;
    const cv::Mat cover = coverage(o, s.size);
    o.bbox = bounding_box(cover);
    draw_object(s.image, o);
    const bool size_word = rng.chance(options.size_word_probability);
    phrases.push_back(
        object_phrase(o.colour, o.shape, size_word ? std::optional<Size>(o.size) : std::nullopt));
    s.objects.push_back(o);
  }
  if (phrases.empty()) {
    s.caption = background_phrase(s, false);
  } else {
    for (std::size_t i = 0; i < phrases.size(); ++i)
      s.caption += (i == 0 ? "" : i + 1 == phrases.size() ? " and " : ", ") + phrases[i];
    s.caption += " " + background_phrase(s, true);
  }
  return s;
}

EditCase generate_edit_case(std::uint64_t seed, const EditCaseOptions& options) {
  // Decided once: a scene without room for an empty area is replaced, not the kind of case.
  const bool empty_area = Rng(mix_seed(seed, 0xe4)).chance(options.empty_area_probability);
  for (std::uint64_t attempt = 0;; ++attempt) {
    Rng rng(mix_seed(seed, 0xed17 + attempt));
    EditCase e;
    SceneOptions so = options.scene;
    if (!empty_area) so.min_objects = std::max(1, so.min_objects);
    if (empty_area) so.max_objects = std::min(so.max_objects, 2);
    so.max_objects = std::max(so.max_objects, so.min_objects);
    e.scene = generate_scene(attempt == 0 ? seed : mix_seed(seed, attempt), so);
    const Scene& s = e.scene;
    const int margin = options.min_margin + rng.index(options.max_margin - options.min_margin + 1);
    Size cls = static_cast<Size>(rng.index(kNumSizes));
    if (empty_area) {
      // The requested size, or a smaller one when the scene has no room for it.
      bool found = false;
      for (int c = static_cast<int>(cls); c >= 0 && !found; --c) {
        const int side = static_cast<int>(std::ceil(
                             2 * kExtent * radius_range(static_cast<Size>(c))[1] * s.size)) +
                         2 * margin;
        for (int tries = 0; tries < 40 && !found && side <= s.size; ++tries) {
          Box b{rng.index(s.size - side + 1), rng.index(s.size - side + 1), side, side};
          found = std::none_of(s.objects.begin(), s.objects.end(),
                               [&](const SceneObject& o) { return boxes_overlap(b, o.bbox, 1); });
          if (found) e.mask_box = b, cls = static_cast<Size>(c);
        }
      }
      if (!found) continue;
    } else {
      e.object_index = rng.index(static_cast<int>(s.objects.size()));
      const SceneObject& o = s.objects[e.object_index];
      cls = o.size;
      const int x0 = std::max(0, o.bbox.x - margin), y0 = std::max(0, o.bbox.y - margin);
      const int x1 = std::min(s.size, o.bbox.x + o.bbox.w + margin);
      const int y1 = std::min(s.size, o.bbox.y + o.bbox.h + margin);
      e.mask_box = {x0, y0, x1 - x0, y1 - y0};
    }
    const bool two_colours = s.background != Background::Flat;
    do {
      e.colour = static_cast<Colour>(rng.index(kNumColours));
      e.shape = static_cast<Shape>(rng.index(kNumShapes));
    } while (e.colour == s.background_colour || (two_colours && e.colour == s.background_colour2) ||
             (e.object_index >= 0 && e.colour == s.objects[e.object_index].colour &&
              e.shape == s.objects[e.object_index].shape));
    if (rng.chance(options.size_word_probability)) e.size = cls;
    e.prompt = object_phrase(e.colour, e.shape, e.size);
    e.mask.width = e.mask.height = s.size;
    e.mask.channels = 1;
    e.mask.data.assign(static_cast<std::size_t>(s.size) * s.size, 0);
    for (int y = e.mask_box.y; y < e.mask_box.y + e.mask_box.h; ++y)
      for (int x = e.mask_box.x; x < e.mask_box.x + e.mask_box.w; ++x)
        e.mask.data[static_cast<std::size_t>(y) * s.size + x] = 255;
    return e;
  }
}

std::vector<std::string> caption_corpus(std::uint64_t seed, int scenes) {
  std::vector<std::string> corpus;
  for (int c = 0; c < kNumColours; ++c)
    for (int sh = 0; sh < kNumShapes; ++sh) {
      corpus.push_back(object_phrase(static_cast<Colour>(c), static_cast<Shape>(sh)));
      for (int z = 0; z < kNumSizes; ++z)
        corpus.push_back(
            object_phrase(static_cast<Colour>(c), static_cast<Shape>(sh), static_cast<Size>(z)));
    }
  for (int i = 0; i < scenes; ++i)
    corpus.push_back(generate_scene(training_seed(seed, 0xc0, 0, i)).caption);
  return corpus;
}

}  // namespace bd::toyworld
