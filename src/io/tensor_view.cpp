#include "io/tensor_view.h"

#include <c10/util/Exception.h>

#include <limits>

namespace bd::io {

namespace {
struct DtypeName {
  const char* safetensors;
  const char* readable;
  torch::ScalarType type;
};
const DtypeName kDtypes[] = {
    {"F64", "float64", torch::kFloat64}, {"F32", "float32", torch::kFloat32},
    {"F16", "float16", torch::kFloat16}, {"BF16", "bfloat16", torch::kBFloat16},
    {"I64", "int64", torch::kInt64},     {"I32", "int32", torch::kInt32},
    {"I16", "int16", torch::kInt16},     {"I8", "int8", torch::kInt8},
    {"U8", "uint8", torch::kUInt8},      {"BOOL", "bool", torch::kBool},
};
}  // namespace

std::optional<torch::ScalarType> dtype_from_safetensors(const std::string& name) {
  for (const auto& d : kDtypes)
    if (name == d.safetensors) return d.type;
  return std::nullopt;
}

std::string dtype_to_safetensors(torch::ScalarType type) {
  for (const auto& d : kDtypes)
    if (d.type == type) return d.safetensors;
  return c10::toString(type);
}

std::string dtype_name(torch::ScalarType type) {
  for (const auto& d : kDtypes)
    if (d.type == type) return d.readable;
  return c10::toString(type);
}

std::optional<int64_t> checked_numel(const std::vector<int64_t>& sizes) {
  int64_t n = 1;
  for (int64_t s : sizes) {
    if (s < 0) return std::nullopt;
    if (s != 0 && n > std::numeric_limits<int64_t>::max() / s) return std::nullopt;
    n *= s;
  }
  return n;
}

torch::Tensor tensor_over(const std::shared_ptr<const void>& owner, const std::uint8_t* data,
                          const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides,
                          torch::ScalarType type) {
  const auto options = torch::TensorOptions().dtype(type).device(torch::kCPU);
  const auto element = static_cast<std::uintptr_t>(c10::elementSize(type));
  auto keep_alive = owner;  // captured by the deleter: the bytes outlive the tensor
  auto* ptr = const_cast<std::uint8_t*>(data);
  torch::Tensor t = torch::from_blob(
      ptr, sizes, strides, [keep_alive](void*) mutable { keep_alive.reset(); }, options);
  if (reinterpret_cast<std::uintptr_t>(data) % element != 0) return t.clone();
  return t;
}

}  // namespace bd::io
