#pragma once
// Between the region's OpenCV matrices (HWC float) and the sampler's tensors (NCHW).
#include <opencv2/core/mat.hpp>
#include <torch/types.h>

namespace bd::editing {

// CV_32FC3 / CV_32FC1 [S, S] -> float32 [1, C, S, S] (a copy).
torch::Tensor to_model_tensor(const cv::Mat& mat);
// float32 [1, C, S, S] on the CPU -> CV_32FC(C) [S, S] (a copy).
cv::Mat to_model_mat(const torch::Tensor& tensor);

}  // namespace bd::editing
