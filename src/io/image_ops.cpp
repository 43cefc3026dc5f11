#include <opencv2/imgproc.hpp>

#include "bd/error.h"
#include "bd/image.h"
#include "io/image_file.h"

namespace bd {

Image resize_nearest(const Image& image, int width, int height) {
  if (image.empty() || width <= 0 || height <= 0)
    throw Error(ErrorKind::InvalidInput, "cannot resize an empty image or to an empty size");
  cv::Mat out;
  cv::resize(io::mat_view(image), out, cv::Size(width, height), 0, 0, cv::INTER_NEAREST);
  return io::image_from_mat(out);
}

}  // namespace bd
