#pragma once
// The one exception type the engine throws across its public face.
#include <stdexcept>
#include <string>

namespace bd {

enum class ErrorKind {
  ModelFiles,    // a weight file, tokenizer or pack manifest is missing or malformed
  InvalidInput,  // an image, mask, prompt or parameter the user gave is unusable
  OutOfMemory,   // the device or host ran out of memory
  Backend,       // LibTorch or OpenCV failed for another reason
};

const char* to_string(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

  // Prefixes the message with the stage that failed ("loading UNet from X: ...").
  Error with_context(const std::string& stage) const {
    return Error(kind_, stage + ": " + what());
  }

 private:
  ErrorKind kind_;
};

}  // namespace bd
