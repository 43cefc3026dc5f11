#pragma once
// TorchScript archives (torch.jit.save; how OpenAI ships CLIP): the parameters and
// buffers of the module tree by their dotted names, as `module.state_dict()` lists them.
#include "io/mapped_file.h"
#include "io/tensor_file.h"
#include "io/zip_archive.h"

namespace bd::io {

TensorFile read_torchscript_archive(const std::shared_ptr<MappedFile>& file, const ZipArchive& zip,
                                    const std::string& top);

}  // namespace bd::io
