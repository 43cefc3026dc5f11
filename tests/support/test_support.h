#pragma once
// Helpers every test program shares: where the reference vectors are, their JSON
// sidecars, and the error measure the issues specify.
#include <torch/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bd::test {

// $BLENDIFF_REFVECTORS when set, else tests/data/reference in the source tree.
std::string refvectors_dir();
// Every "<dir>/<prefix>*.pt" (sorted), e.g. reference_files("diffusion_").
std::vector<std::string> reference_files(const std::string& prefix);
// The JSON sidecar of a reference .pt file (same stem, .json).
nlohmann::json read_sidecar(const std::string& pt_path);
// CLIP's BPE vocabulary: next to the vectors, else ../shared/refvectors; "" when absent.
std::string clip_vocab_path();

// max |a - ref| / max |ref|, computed in float64.
double relative_error(const torch::Tensor& a, const torch::Tensor& ref);

// A fresh empty directory under the build tree for one test.
std::string scratch_dir(const std::string& name);
std::string source_path(const std::string& relative);

}  // namespace bd::test
