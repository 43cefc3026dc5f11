#include "bd/engine.h"

namespace bd {

std::string precision_name(Precision precision) {
  switch (precision) {
    case Precision::Auto: return "auto";
    case Precision::Float32: return "fp32";
    case Precision::Float16: return "fp16";
    case Precision::BFloat16: return "bf16";
  }
  return "auto";
}

std::optional<Precision> parse_precision(const std::string& name) {
  for (Precision p : {Precision::Auto, Precision::Float32, Precision::Float16, Precision::BFloat16})
    if (precision_name(p) == name) return p;
  return std::nullopt;
}

}  // namespace bd
