#include "mask_ops.h"

#include <QPainter>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace bd::ui {

QRect paintSegment(QImage& mask, QPointF from, QPointF to, const BrushShape& brush) {
  const double r = std::max(0.5, brush.radius);
  const QRect bounds =
      QRectF(QPointF(std::min(from.x(), to.x()) - r - 1, std::min(from.y(), to.y()) - r - 1),
             QPointF(std::max(from.x(), to.x()) + r + 1, std::max(from.y(), to.y()) + r + 1))
          .toAlignedRect()
          .intersected(mask.rect());
  if (bounds.isEmpty()) return {};
  const double edge = std::max((1.0 - std::clamp(brush.hardness, 0.0, 1.0)) * r, 1.0);
  const double dx = to.x() - from.x(), dy = to.y() - from.y();
  const double len2 = dx * dx + dy * dy;
  // A lookup of coverage by squared distance would save the sqrt; at these box sizes
  // (a few 10k pixels per mouse move) the direct form is well under a millisecond.
  for (int y = bounds.top(); y <= bounds.bottom(); ++y) {
    uchar* row = mask.scanLine(y);
    const double py = y + 0.5;
    for (int x = bounds.left(); x <= bounds.right(); ++x) {
      const double px = x + 0.5;
      double t = len2 > 0 ? ((px - from.x()) * dx + (py - from.y()) * dy) / len2 : 0.0;
      t = std::clamp(t, 0.0, 1.0);
      const double ex = px - (from.x() + t * dx), ey = py - (from.y() + t * dy);
      const double d2 = ex * ex + ey * ey;
      if (d2 >= r * r) continue;
      const double s = std::clamp((r - std::sqrt(d2)) / edge, 0.0, 1.0);
      const int a = static_cast<int>(std::lround(255.0 * s * s * (3.0 - 2.0 * s)));
      if (brush.erase)
        row[x] = static_cast<uchar>(std::min<int>(row[x], 255 - a));
      else
        row[x] = static_cast<uchar>(std::max<int>(row[x], a));
    }
  }
  return bounds;
}

void invertMask(QImage& mask) {
  for (int y = 0; y < mask.height(); ++y) {
    uchar* row = mask.scanLine(y);
    for (int x = 0; x < mask.width(); ++x) row[x] = static_cast<uchar>(255 - row[x]);
  }
}

namespace {

// Felzenszwalb & Huttenlocher's 1-D squared distance transform of f (0 at seeds, +inf
// elsewhere), in place.
void distance1d(std::vector<double>& f, std::vector<double>& d, std::vector<int>& v,
                std::vector<double>& z) {
  const int n = static_cast<int>(f.size());
  const double inf = std::numeric_limits<double>::infinity();
  int k = 0;
  v[0] = 0;
  z[0] = -inf;
  z[1] = inf;
  for (int q = 1; q < n; ++q) {
    if (f[q] == inf) continue;
    if (f[v[k]] == inf) {  // first finite seed replaces the placeholder
      v[k] = q;
      continue;
    }
    double s = ((f[q] + double(q) * q) - (f[v[k]] + double(v[k]) * v[k])) / (2.0 * q - 2.0 * v[k]);
    while (k > 0 && s <= z[k]) {
      --k;
      s = ((f[q] + double(q) * q) - (f[v[k]] + double(v[k]) * v[k])) / (2.0 * q - 2.0 * v[k]);
    }
    ++k;
    v[k] = q;
    z[k] = s;
    z[k + 1] = inf;
  }
  if (f[v[0]] == inf) {  // no seed on this line
    std::fill(d.begin(), d.end(), inf);
    f = d;
    return;
  }
  k = 0;
  for (int q = 0; q < n; ++q) {
    while (z[k + 1] < q) ++k;
    d[q] = double(q - v[k]) * (q - v[k]) + f[v[k]];
  }
  f = d;
}

// Squared Euclidean distance of every pixel to the nearest pixel where seed(x) is true.
template <typename Seed>
std::vector<double> squaredDistance(const QImage& mask, Seed seed) {
  const int w = mask.width(), h = mask.height();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> dist(static_cast<std::size_t>(w) * h);
  for (int y = 0; y < h; ++y) {
    const uchar* row = mask.constScanLine(y);
    for (int x = 0; x < w; ++x)
      dist[static_cast<std::size_t>(y) * w + x] = seed(row[x]) ? 0.0 : inf;
  }
  const int n = std::max(w, h);
  std::vector<double> f, d(n), z(n + 1);
  std::vector<int> v(n);
  f.reserve(n);
  for (int x = 0; x < w; ++x) {
    f.assign(h, 0.0);
    d.assign(h, 0.0);
    for (int y = 0; y < h; ++y) f[y] = dist[static_cast<std::size_t>(y) * w + x];
    distance1d(f, d, v, z);
    for (int y = 0; y < h; ++y) dist[static_cast<std::size_t>(y) * w + x] = f[y];
  }
  for (int y = 0; y < h; ++y) {
    f.assign(dist.begin() + static_cast<std::ptrdiff_t>(y) * w,
             dist.begin() + static_cast<std::ptrdiff_t>(y + 1) * w);
    d.assign(w, 0.0);
    distance1d(f, d, v, z);
    std::copy(f.begin(), f.end(), dist.begin() + static_cast<std::ptrdiff_t>(y) * w);
  }
  return dist;
}

}  // namespace

void growMask(QImage& mask, int px) {
  if (mask.isNull()) return;
  const int w = mask.width(), h = mask.height();
  const double r2 = double(px) * px;
  if (px > 0) {
    const auto dist = squaredDistance(mask, [](uchar v) { return v >= 128; });
    for (int y = 0; y < h; ++y) {
      uchar* row = mask.scanLine(y);
      for (int x = 0; x < w; ++x)
        row[x] = dist[static_cast<std::size_t>(y) * w + x] <= r2 ? 255 : 0;
    }
  } else if (px < 0) {
    const auto dist = squaredDistance(mask, [](uchar v) { return v < 128; });
    for (int y = 0; y < h; ++y) {
      uchar* row = mask.scanLine(y);
      for (int x = 0; x < w; ++x) row[x] = dist[static_cast<std::size_t>(y) * w + x] > r2 ? 255 : 0;
    }
  } else {
    for (int y = 0; y < h; ++y) {
      uchar* row = mask.scanLine(y);
      for (int x = 0; x < w; ++x) row[x] = row[x] >= 128 ? 255 : 0;
    }
  }
}

void fillMaskRect(QImage& mask, const QRect& rect, bool erase) {
  const QRect r = rect.normalized().intersected(mask.rect());
  for (int y = r.top(); y <= r.bottom() && !r.isEmpty(); ++y)
    std::fill_n(mask.scanLine(y) + r.left(), r.width(), erase ? 0 : 255);
}

QRect fillMaskPolygon(QImage& mask, const QPolygonF& polygon, bool erase) {
  const QRect bounds = polygon.boundingRect().toAlignedRect().intersected(mask.rect());
  if (polygon.size() < 3 || bounds.isEmpty()) return {};
  // The mask's bytes viewed as an alpha channel (no copy): QPainter's raster engine fills
  // Alpha8 directly, and without antialiasing a pixel is covered when its centre is.
  QImage alpha(mask.bits(), mask.width(), mask.height(), mask.bytesPerLine(),
               QImage::Format_Alpha8);
  QPainter p(&alpha);
  p.setRenderHint(QPainter::Antialiasing, false);
  p.setPen(Qt::NoPen);
  p.setBrush(Qt::black);  // alpha 255
  p.setCompositionMode(erase ? QPainter::CompositionMode_Clear : QPainter::CompositionMode_Source);
  p.drawPolygon(polygon, Qt::WindingFill);
  return bounds;
}

double maskCoverage(const QImage& mask) {
  if (mask.isNull()) return 0.0;
  std::size_t on = 0;
  for (int y = 0; y < mask.height(); ++y) {
    const uchar* row = mask.constScanLine(y);
    for (int x = 0; x < mask.width(); ++x) on += row[x] >= 128;
  }
  return double(on) / (double(mask.width()) * mask.height());
}

bool maskIsEmpty(const QImage& mask) {
  for (int y = 0; y < mask.height(); ++y) {
    const uchar* row = mask.constScanLine(y);
    for (int x = 0; x < mask.width(); ++x)
      if (row[x]) return false;
  }
  return true;
}

QImage blankMask(const QSize& size) {
  QImage mask(size, QImage::Format_Grayscale8);
  mask.fill(0);
  return mask;
}

}  // namespace bd::ui
