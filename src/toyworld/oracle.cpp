#include "toyworld/oracle.h"

#include <array>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "bd/error.h"

namespace bd::toyworld {

namespace {

cv::Mat rgb_mat(const Image& image) {
  return cv::Mat(image.height, image.width, CV_8UC3, const_cast<std::uint8_t*>(image.data.data()));
}

// Shape from the component's outer contour and its holes: a ring is a disc with a big
// hole; a star is far from convex; the others are told apart by how well they fill
// their smallest enclosing circle, rotated rectangle and triangle (1 for the matching
// shape, ≤ 0.8 for the others).
Shape classify(OracleReading& r, const std::vector<cv::Point>& outer, double hole_area) {
  const double area = cv::contourArea(outer);
  std::vector<cv::Point> hull;
  cv::convexHull(outer, hull);
  r.solidity = area / std::max(1.0, cv::contourArea(hull));
  r.hole_ratio = hole_area / std::max(1.0, area + hole_area);
  cv::Point2f centre;
  float radius = 0;
  cv::minEnclosingCircle(outer, centre, radius);
  r.circle_fill = area / std::max(1.0, CV_PI * radius * radius);
  r.rect_fill = area / std::max(1.0, static_cast<double>(cv::minAreaRect(outer).size.area()));
  std::vector<cv::Point2f> triangle;
  const double tri_area = cv::minEnclosingTriangle(outer, triangle);
  r.triangle_fill = area / std::max(1.0, tri_area);
  if (r.hole_ratio > 0.1) return Shape::Ring;
  if (r.solidity < 0.8) return Shape::Star;
  if (r.circle_fill >= r.rect_fill && r.circle_fill >= r.triangle_fill) return Shape::Circle;
  return r.rect_fill >= r.triangle_fill ? Shape::Square : Shape::Triangle;
}

}  // namespace

std::string OracleReading::describe() const {
  std::ostringstream o;
  if (!found) return "nothing";
  o << name(colour) << " " << name(shape) << " (colour " << colour_fraction << ", solidity "
    << solidity << ", circle " << circle_fill << ", rect " << rect_fill << ", triangle "
    << triangle_fill << ", hole " << hole_ratio << ")";
  return o.str();
}

std::optional<Colour> classify_colour(Rgb rgb, double max_distance) {
  // Background tones (the muted palette) compete too, so a muted purple is not purple.
  double best = max_distance * max_distance;
  std::optional<Colour> out;
  for (int c = 0; c < 2 * kNumColours; ++c) {
    const Colour colour = static_cast<Colour>(c % kNumColours);
    const Rgb p = c < kNumColours ? palette(colour) : muted(colour);
    const double dr = rgb.r - p.r, dg = rgb.g - p.g, db = rgb.b - p.b;
    const double d = dr * dr + dg * dg + db * db;
    if (d < best) {
      best = d;
      out = c < kNumColours ? std::optional<Colour>(colour) : std::nullopt;
    }
  }
  return out;
}

OracleReading read_region(const Image& image, const Image& mask, const OracleOptions& options) {
  if (image.channels != 3 || image.depth != 8 || mask.channels != 1 || mask.depth != 8 ||
      image.width != mask.width || image.height != mask.height || image.empty())
    throw Error(ErrorKind::InvalidInput,
                "toyworld oracle: needs an 8-bit RGB image and a same-size 8-bit mask");
  const cv::Mat img = rgb_mat(image);
  const cv::Mat m(mask.height, mask.width, CV_8UC1, const_cast<std::uint8_t*>(mask.data.data()));
  std::vector<cv::Point> inside;
  cv::findNonZero(m, inside);
  OracleReading r;
  if (inside.empty()) return r;
  const cv::Rect box = cv::boundingRect(inside);

  // Labels per pixel on the upscaled region: colour index or -1.
  cv::Mat region;
  cv::resize(img(box), region, cv::Size(box.width * options.upscale, box.height * options.upscale),
             0, 0, cv::INTER_CUBIC);
  cv::Mat region_mask;
  cv::resize(m(box), region_mask, region.size(), 0, 0, cv::INTER_NEAREST);
  cv::Mat labels(region.size(), CV_8SC1, cv::Scalar(-1));
  std::array<int, kNumColours> counts{};
  int total = 0;
  for (int y = 0; y < region.rows; ++y)
    for (int x = 0; x < region.cols; ++x) {
      if (!region_mask.at<std::uint8_t>(y, x)) continue;
      ++total;
      const cv::Vec3b p = region.at<cv::Vec3b>(y, x);
      if (auto c = classify_colour({p[0], p[1], p[2]}, options.max_colour_distance)) {
        labels.at<std::int8_t>(y, x) = static_cast<std::int8_t>(*c);
        ++counts[static_cast<int>(*c)];
      }
    }
  const int best =
      static_cast<int>(std::max_element(counts.begin(), counts.end()) - counts.begin());
  r.colour = static_cast<Colour>(best);
  r.colour_fraction = total ? static_cast<double>(counts[best]) / total : 0.0;
  if (r.colour_fraction < options.min_fraction) return r;
  r.found = true;

  cv::Mat on = labels == best;
  // Closing heals the anti-aliasing seams of thin parts (star points, ring walls).
  cv::morphologyEx(on, on, cv::MORPH_CLOSE,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5)));
  cv::copyMakeBorder(on, on, 1, 1, 1, 1, cv::BORDER_CONSTANT, 0);
  std::vector<std::vector<cv::Point>> contours;
  std::vector<cv::Vec4i> hierarchy;
  cv::findContours(on, contours, hierarchy, cv::RETR_CCOMP, cv::CHAIN_APPROX_NONE);
  int outer = -1;
  double outer_area = 0;
  for (int i = 0; i < static_cast<int>(contours.size()); ++i) {
    if (hierarchy[i][3] >= 0) continue;  // a hole
    const double a = cv::contourArea(contours[i]);
    if (a > outer_area) {
      outer_area = a;
      outer = i;
    }
  }
  if (outer < 0) return r;
  double holes = 0;
  for (int h = hierarchy[outer][2]; h >= 0; h = hierarchy[h][0])
    holes += cv::contourArea(contours[h]);
  r.shape = classify(r, contours[outer], holes);
  return r;
}

OracleVerdict judge(const Image& image, const Image& mask, Colour colour, Shape shape,
                    const OracleOptions& options) {
  OracleVerdict v;
  v.reading = read_region(image, mask, options);
  v.colour_ok = v.reading.found && v.reading.colour == colour;
  v.shape_ok = v.colour_ok && v.reading.shape == shape;
  return v;
}

}  // namespace bd::toyworld
