#include "editing/tensor_image.h"

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include "bd/error.h"

namespace bd::editing {

torch::Tensor to_model_tensor(const cv::Mat& mat) {
  if (mat.depth() != CV_32F || !mat.isContinuous())
    throw Error(ErrorKind::Backend, "to_model_tensor expects a continuous float matrix");
  auto hwc = torch::from_blob(const_cast<float*>(mat.ptr<float>()), {mat.rows, mat.cols, mat.channels()},
                              torch::kFloat32);
  return hwc.permute({2, 0, 1}).unsqueeze(0).contiguous();  // the copy detaches from `mat`
}

cv::Mat to_model_mat(const torch::Tensor& tensor) {
  auto chw = tensor.detach().to(torch::kCPU, torch::kFloat32).squeeze(0);
  auto hwc = chw.permute({1, 2, 0}).contiguous();
  const int channels = static_cast<int>(hwc.size(2));
  cv::Mat view(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_32FC(channels), hwc.data_ptr<float>());
  return view.clone();
}

}  // namespace bd::editing
