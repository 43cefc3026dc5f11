#include "engine_options.h"

#include "bd/error.h"
#include "bd/gpu.h"

namespace bd::cli {

void add_engine_options(CLI::App* cmd, const std::shared_ptr<EngineCliOptions>& o) {
  cmd->add_option("--device", o->device, "auto, cpu, cuda or cuda:N (see --version for the GPUs)");
  cmd->add_option("--precision", o->precision,
                  "Network arithmetic: auto (fp16 on CUDA, fp32 on the CPU), fp32, fp16 (CUDA) or bf16")
      ->check(CLI::IsMember({"auto", "fp32", "fp16", "bf16"}));
  cmd->add_option("--micro-batch", o->micro_batch,
                  "GPU: candidates stepped at once (0: sized from free memory, halved on out-of-memory)")
      ->check(CLI::Range(0, 64));
  cmd->add_option("--gpu-memory", o->gpu_memory,
                  "GPU: use at most this much memory, e.g. 8G (as if the card were that small)");
}

EngineOptions to_engine_options(const EngineCliOptions& o) {
  EngineOptions options;
  options.device = o.device;
  options.threads = -1;  // --threads set it at start-up; keep it
  options.precision = parse_precision(o.precision).value_or(Precision::Auto);
  options.micro_batch = o.micro_batch;
  if (!o.gpu_memory.empty()) {
    const auto bytes = parse_byte_size(o.gpu_memory);
    if (!bytes || *bytes == 0)
      throw Error(ErrorKind::InvalidInput,
                  "--gpu-memory must be a size such as 8G, 7.5GiB or 512M, got '" + o.gpu_memory + "'");
    options.gpu_memory_limit = *bytes;
  }
  return options;
}

}  // namespace bd::cli
