#include "bd/error.h"

namespace bd {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::ModelFiles: return "model files";
    case ErrorKind::InvalidInput: return "invalid input";
    case ErrorKind::OutOfMemory: return "out of memory";
    case ErrorKind::Backend: return "backend";
  }
  return "unknown";
}

}  // namespace bd
