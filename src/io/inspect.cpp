#include "bd/error.h"
#include "bd/weights.h"
#include "io/tensor_file.h"
#include "io/tensor_view.h"

namespace bd {

WeightFileSummary inspect_weight_file(const std::string& path) {
  const io::TensorFile file = io::read_tensor_file(path);
  WeightFileSummary s;
  s.path = path;
  s.format = io::to_string(file.format);
  s.metadata = file.metadata;
  for (const auto& nt : file.tensors) {
    TensorInfo info;
    info.name = nt.name;
    info.dtype = io::dtype_name(nt.tensor.scalar_type());
    info.shape = nt.tensor.sizes().vec();
    info.numel = nt.tensor.numel();
    s.total_elements += info.numel;
    s.tensors.push_back(std::move(info));
  }
  return s;
}

}  // namespace bd
