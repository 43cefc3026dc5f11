#pragma once
// Touches every element a reader's tensor claims (weights fuzz targets only: needs torch).
#include <torch/types.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "bd/error.h"
#include "fuzz_support.h"
#include "io/tensor_file.h"

namespace bd::fuzz {

// The byte range [lowest, highest element] of a strided CPU tensor, read in full when it
// is small and at both ends otherwise (a 2 GB claimed tensor must not take minutes).
inline void touch_tensor(const torch::Tensor& t) {
  if (!t.defined() || t.numel() == 0) return;
  // Readers refuse negative strides and views whose extent overflows; a tensor that
  // has either is a finding, reported here by abort().
  std::int64_t last = 0;
  for (std::int64_t d = 0; d < t.dim(); ++d) {
    std::int64_t span = 0;
    if (t.stride(d) < 0 || __builtin_mul_overflow(t.size(d) - 1, t.stride(d), &span) ||
        __builtin_add_overflow(last, span, &last))
      std::abort();
  }
  const std::size_t element = t.element_size();
  const auto* base = static_cast<const std::uint8_t*>(t.data_ptr());
  const std::size_t extent = (static_cast<std::size_t>(last) + 1) * element;
  if (extent <= (std::size_t{1} << 20)) {
    touch_bytes(base, extent);
  } else {
    touch_bytes(base, element);
    touch_bytes(base + extent - element, element);
  }
}

inline void touch_all(const std::vector<io::NamedTensor>& tensors) {
  for (const auto& nt : tensors) touch_tensor(nt.tensor);
}

// Hands the input to `read` (path -> TensorFile) as a file named `tag` and touches every
// tensor it returns. A bd::Error is a clear refusal, the expected outcome for most inputs.
template <class Read>
void read_and_touch(const std::string& tag, const std::uint8_t* data, std::size_t size, Read read) {
  const std::string path = input_file(tag, data, size);
  try {
    touch_all(read(path).tensors);
  } catch (const Error&) {
  }
}

}  // namespace bd::fuzz
