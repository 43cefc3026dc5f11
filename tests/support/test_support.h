#pragma once
// Helpers every test program shares: where the reference vectors are, their JSON
// sidecars, and the error measure the issues specify.
#include <torch/types.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "io/tensor_file.h"

namespace bd::test {

// $BLENDIFF_REFVECTORS when set, else tests/data/reference in the source tree.
std::string refvectors_dir();
// Every "<dir>/<prefix>*.pt" (sorted), e.g. reference_files("diffusion_").
std::vector<std::string> reference_files(const std::string& prefix);
// For a test's _data(): a QString column "path" and one row per reference_files(prefix),
// named after the file.
void add_reference_rows(const std::string& prefix);
// The JSON sidecar of a reference .pt file (same stem, .json).
nlohmann::json read_sidecar(const std::string& pt_path);
// CLIP's BPE vocabulary: next to the vectors, else ../shared/refvectors; "" when absent.
std::string clip_vocab_path();

// max |a - ref| / max |ref|, computed in float64.
double relative_error(const torch::Tensor& a, const torch::Tensor& ref);

// Compares each (name, value) with the reference tensor of that name in `file`: shapes
// equal and relative_error <= tolerance, each error logged. Outputs must exist; "dbg.*"
// intermediates may be absent. Warns about dbg.* tensors nobody compared (`also_compared`
// names ones the caller checks itself). Returns "" or the first failure.
std::string compare_with_reference(const io::TensorFile& file,
                                   const std::vector<std::pair<std::string, torch::Tensor>>& checks,
                                   double tolerance, const std::string& label,
                                   std::set<std::string> also_compared = {});

// A fresh empty directory under the build tree for one test.
std::string scratch_dir(const std::string& name);
std::string source_path(const std::string& relative);

}  // namespace bd::test
