#include "image_pyramid.h"

#include <QPainter>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <cmath>

namespace bd::ui {

namespace {

// Below this longer side a level is cheap to draw from directly; no smaller ones.
constexpr int kSmallestLevel = 128;

QVector<QImage> halfSizeLevels(const QImage& full) {
  QVector<QImage> levels;
  QImage current = full;
  while (std::max(current.width(), current.height()) > kSmallestLevel && current.width() > 1 &&
         current.height() > 1) {
    // Qt's smooth scaling averages the source area of each output pixel.
    current = current.scaled(current.width() / 2, current.height() / 2, Qt::IgnoreAspectRatio,
                             Qt::SmoothTransformation);
    levels.push_back(current);
  }
  return levels;
}

}  // namespace

ImagePyramid::ImagePyramid(QObject* parent)
    : QObject(parent), m_watcher(new QFutureWatcher<QVector<QImage>>(this)) {
  connect(m_watcher, &QFutureWatcherBase::finished, this, [this] {
    // A build for an image replaced meanwhile is dropped: setFuture detached it, and a
    // finish already queued finds the new build unfinished (result() would block) or
    // made for another image.
    const QFuture<QVector<QImage>> future = m_watcher->future();
    if (!future.isValid() || !future.isFinished() || future.isCanceled() ||
        m_buildKey != m_image.cacheKey())
      return;
    m_levels = future.result();
    emit levelsReady();
  });
}

ImagePyramid::~ImagePyramid() = default;

void ImagePyramid::setImage(const QImage& image, bool buildLevels) {
  m_image = image;
  m_levels.clear();
  m_buildKey = 0;
  if (image.isNull() || !buildLevels ||
      std::max(image.width(), image.height()) <= 2 * kSmallestLevel) {
    m_watcher->setFuture(QFuture<QVector<QImage>>());
    return;
  }
  m_buildKey = image.cacheKey();
  m_watcher->setFuture(QtConcurrent::run(halfSizeLevels, image));
}

const QImage& ImagePyramid::levelFor(double scale, double* levelScale) const {
  int index = 0;  // 0: the image itself; i > 0: m_levels[i - 1]
  if (scale > 0.0 && scale < 0.5)
    index = std::min(static_cast<int>(std::floor(std::log2(1.0 / scale))),
                     static_cast<int>(m_levels.size()));
  const QImage& level = index == 0 ? m_image : m_levels[index - 1];
  if (levelScale)
    *levelScale = m_image.width() ? double(level.width()) / m_image.width() : 1.0;
  return level;
}

void ImagePyramid::draw(QPainter& painter, const QRectF& target, const QRectF& source) const {
  if (m_image.isNull() || source.isEmpty() || target.isEmpty()) return;
  const double scale = target.width() / source.width();
  if (scale >= 1.0) {
    // Whole source pixels only, each drawn as a square: no half-pixel blur at the edges.
    const QRect src = source.toAlignedRect().intersected(m_image.rect());
    if (src.isEmpty()) return;
    const double sy = target.height() / source.height();
    const QRectF dst(target.x() + (src.x() - source.x()) * scale,
                     target.y() + (src.y() - source.y()) * sy, src.width() * scale,
                     src.height() * sy);
    painter.drawImage(dst, m_image, QRectF(src));
    return;
  }
  const QImage& level = levelFor(scale, nullptr);
  const double sx = double(level.width()) / m_image.width();
  const double sy = double(level.height()) / m_image.height();
  const QRectF levelSource(source.x() * sx, source.y() * sy, source.width() * sx,
                           source.height() * sy);
  const bool smooth = painter.testRenderHint(QPainter::SmoothPixmapTransform);
  painter.setRenderHint(QPainter::SmoothPixmapTransform);
  painter.drawImage(target, level, levelSource);
  painter.setRenderHint(QPainter::SmoothPixmapTransform, smooth);
}

}  // namespace bd::ui
