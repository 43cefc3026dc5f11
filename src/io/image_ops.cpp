// In-memory image helpers: the OpenCV bridge declared in io/image_file.h and resizing.
// No codecs here (those are in image_file.cpp), so this links with core + imgproc only.
#include <opencv2/imgproc.hpp>

#include <cstring>

#include "bd/error.h"
#include "bd/image.h"
#include "io/image_file.h"

namespace bd {

namespace io {

cv::Mat mat_view(const Image& image) {
  const int type = CV_MAKETYPE(image.depth == 16 ? CV_16U : CV_8U, image.channels);
  return cv::Mat(image.height, image.width, type, const_cast<std::uint8_t*>(image.data.data()),
                 static_cast<std::size_t>(image.width) * image.bytes_per_pixel());
}

Image image_from_mat(const cv::Mat& mat) {
  const int c = mat.channels();
  if ((mat.depth() != CV_8U && mat.depth() != CV_16U) || (c != 1 && c != 3 && c != 4))
    throw Error(ErrorKind::InvalidInput, "image matrix of type " + cv::typeToString(mat.type()) +
                                             " is not 8/16-bit with 1, 3 or 4 channels");
  Image image;
  image.width = mat.cols;
  image.height = mat.rows;
  image.channels = c;
  image.depth = mat.depth() == CV_16U ? 16 : 8;
  const std::size_t row_bytes = static_cast<std::size_t>(mat.cols) * mat.elemSize();
  image.data.resize(row_bytes * mat.rows);
  for (int y = 0; y < mat.rows; ++y)
    std::memcpy(image.data.data() + y * row_bytes, mat.ptr(y), row_bytes);
  return image;
}

void check_image(const Image& image, const std::string& what) {
  if (image.empty()) throw Error(ErrorKind::InvalidInput, what + ": the image is empty");
  if (image.channels != 1 && image.channels != 3 && image.channels != 4)
    throw Error(ErrorKind::InvalidInput,
                what + ": images have 1, 3 or 4 channels, not " + std::to_string(image.channels));
  if (image.depth != 8 && image.depth != 16)
    throw Error(ErrorKind::InvalidInput, what + ": images have 8 or 16 bits per channel, not " +
                                             std::to_string(image.depth));
  if (image.width < 0 || image.height < 0 ||
      image.data.size() !=
          static_cast<std::size_t>(image.width) * image.height * image.bytes_per_pixel())
    throw Error(ErrorKind::InvalidInput,
                what + ": pixel data has " + std::to_string(image.data.size()) + " bytes, " +
                    std::to_string(image.width) + "x" + std::to_string(image.height) + " needs " +
                    std::to_string(static_cast<std::size_t>(image.width) * image.height *
                                   image.bytes_per_pixel()));
}

}  // namespace io


Image resize_nearest(const Image& image, int width, int height) {
  if (image.empty() || width <= 0 || height <= 0)
    throw Error(ErrorKind::InvalidInput, "cannot resize an empty image or to an empty size");
  cv::Mat out;
  cv::resize(io::mat_view(image), out, cv::Size(width, height), 0, 0, cv::INTER_NEAREST);
  return io::image_from_mat(out);
}

}  // namespace bd
