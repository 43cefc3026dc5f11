#pragma once
// Draws a large image at any zoom without stalling the event loop.
//
// A downscaled view needs area averaging to look right (plain bilinear sampling of a
// 4096² photo at 17 % skips most pixels and shimmers), but averaging reads every source
// pixel: ~400 ms for a 4096² image, once per zoom step if done per zoom level. Instead
// the pyramid keeps half-size levels (each area-averaged from the one above), built once
// per image on a worker thread; a draw picks the smallest level still at least as large
// as the drawn size and filters it bilinearly, so its cost follows the repainted area.
// Until the levels arrive (levelsReady), draws use the full image, bilinearly.
#include <QFutureWatcher>
#include <QImage>
#include <QObject>
#include <QRectF>
#include <QVector>

class QPainter;

namespace bd::ui {

class ImagePyramid : public QObject {
  Q_OBJECT

 public:
  explicit ImagePyramid(QObject* parent = nullptr);
  ~ImagePyramid() override;

  // `buildLevels` false: draw from the image alone (live previews, replaced many times
  // a second, are not worth averaging).
  void setImage(const QImage& image, bool buildLevels = true);
  const QImage& image() const { return m_image; }
  bool isNull() const { return m_image.isNull(); }
  // Number of levels ready, the full image included (1 until the build finishes).
  int levelCount() const { return 1 + m_levels.size(); }

  // Draws `source` (in image pixels) into `target` (in painter coordinates). Magnified
  // draws use nearest neighbour, so pixels stay crisp.
  void draw(QPainter& painter, const QRectF& target, const QRectF& source) const;

  // The level a draw at `scale` (painter pixels per image pixel) samples: the smallest
  // one not smaller than the drawn size. Its own scale goes to *levelScale.
  const QImage& levelFor(double scale, double* levelScale) const;

 signals:
  void levelsReady();

 private:
  QImage m_image;
  QVector<QImage> m_levels;  // m_levels[i] is the image at 2^-(i+1)
  QFutureWatcher<QVector<QImage>>* m_watcher = nullptr;
  qint64 m_buildKey = 0;  // cacheKey of the image the running build belongs to
};

}  // namespace bd::ui
