#include "io/state_dict.h"

#include <torch/torch.h>

#include <sys/mman.h>
#include <unistd.h>

#include <map>
#include <sstream>

#include "bd/error.h"

namespace bd::io {

namespace {
// Once a tensor is copied into the network, the kernel may drop the file pages behind
// it: without this a mapped 2.2 GB checkpoint stays resident beside the copy and loading
// peaks at twice the file size. MADV_PAGEOUT only reclaims (clean file pages are re-read
// if touched again; heap memory without swap is left alone), so it never loses data.
void release_pages(const torch::Tensor& t) {
#ifdef MADV_PAGEOUT
  if (!t.device().is_cpu() || t.nbytes() == 0) return;
  static const std::uintptr_t page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(t.data_ptr());
  const std::uintptr_t first = (begin + page - 1) / page * page, last = (begin + t.nbytes()) / page * page;
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_PAGEOUT);
#else
  (void)t;
#endif
}

std::string shape_str(c10::IntArrayRef s) {
  std::ostringstream o;
  o << s;
  return o.str();
}
}  // namespace

void load_state_dict(torch::nn::Module& module, const std::vector<NamedTensor>& tensors,
                     const std::string& source, const LoadOptions& options) {
  std::map<std::string, torch::Tensor> targets;
  for (auto& p : module.named_parameters(/*recurse=*/true)) targets[p.key()] = p.value();
  for (auto& b : module.named_buffers(/*recurse=*/true)) targets[b.key()] = b.value();

  std::vector<std::string> unexpected, mismatched, duplicated;
  std::map<std::string, const torch::Tensor*> found;
  for (const auto& nt : tensors) {
    std::optional<std::string> key = options.rename ? options.rename(nt.name) : std::optional(nt.name);
    if (!key) continue;
    auto it = targets.find(*key);
    if (it == targets.end()) {
      unexpected.push_back(*key == nt.name ? nt.name : nt.name + " (as " + *key + ")");
      continue;
    }
    if (!found.emplace(*key, &nt.tensor).second) {
      duplicated.push_back(*key);
      continue;
    }
    if (it->second.sizes() != nt.tensor.sizes())
      mismatched.push_back(*key + ": file " + shape_str(nt.tensor.sizes()) + ", model " +
                           shape_str(it->second.sizes()));
  }
  std::vector<std::string> missing;
  for (const auto& [k, _] : targets)
    if (!found.count(k)) missing.push_back(k);

  if (!missing.empty() || !unexpected.empty() || !mismatched.empty() || !duplicated.empty()) {
    std::ostringstream msg;
    msg << source << ": weights do not fit the network";
    auto list = [&](const char* title, const std::vector<std::string>& keys) {
      if (keys.empty()) return;
      msg << "\n  " << title << " (" << keys.size() << "):";
      for (const auto& k : keys) msg << "\n    " << k;
    };
    list("missing keys", missing);
    list("unexpected keys", unexpected);
    list("shape mismatches", mismatched);
    list("duplicate keys", duplicated);
    throw Error(ErrorKind::ModelFiles, msg.str());
  }

  torch::NoGradGuard no_grad;
  for (const auto& [k, src] : found) {
    torch::Tensor& dst = targets[k];
    dst.copy_(src->to(dst.device(), dst.scalar_type()));
    release_pages(*src);
  }
}

}  // namespace bd::io
