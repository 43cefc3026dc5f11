#pragma once
// Loading a CLIP's parameters from named tensors as OpenAI's build_model does: the
// metadata names a file may carry besides parameters (is_clip_metadata_key) are dropped,
// every other name and shape is checked by io::load_state_dict.
#include <string>
#include <vector>

#include "io/tensor_file.h"
#include "nn/clip.h"

namespace bd::nn {

// Throws bd::Error(ModelFiles) listing every missing, unexpected or mis-shaped tensor;
// `source` names the file in that message.
void load_clip_state(Clip& clip, const std::vector<io::NamedTensor>& tensors,
                     const std::string& source);

}  // namespace bd::nn
