#include "io/torchscript_archive.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "bd/error.h"
#include "io/tensor_view.h"
#include "io/torch_pickle.h"

namespace bd::io {

using pickle::Kind;
using pickle::ValueId;

namespace {

struct ClassTensors {
  std::set<std::string> names;  // parameters and buffers, as the class declares them
};

// The archive's code/ folder declares, per class, `__parameters__ = ["w", ]` and
// `__buffers__ = [...]`. Other tensor attributes (e.g. CLIP's attn_mask) are not part
// of the state dict, exactly as torch.jit's state_dict() leaves them out.
std::map<std::string, ClassTensors> read_class_declarations(const ZipArchive& zip, const std::string& top) {
  std::map<std::string, ClassTensors> classes;
  const std::string code = top + "/code/";
  static const std::regex class_re(R"(^class\s+(\w+)\s*\()");
  static const std::regex list_re(R"(^\s+__(parameters|buffers)__\s*=\s*\[(.*)\]\s*$)");
  static const std::regex name_re(R"re("([^"]+)")re");
  for (const auto& name : zip.names()) {
    if (name.rfind(code, 0) != 0 || name.size() < 3 || name.substr(name.size() - 3) != ".py") continue;
    // code/__torch__/clip/model.py declares the classes of module __torch__.clip.model
    std::string module = name.substr(code.size(), name.size() - code.size() - 3);
    std::replace(module.begin(), module.end(), '/', '.');
    const ByteSpan text = zip.read(name);
    std::istringstream lines(std::string(reinterpret_cast<const char*>(text.data), text.size));
    std::string line, current;
    std::smatch m;
    while (std::getline(lines, line)) {
      if (std::regex_search(line, m, class_re)) {
        current = module + "." + m[1].str();
        classes[current];
      } else if (!current.empty() && std::regex_match(line, m, list_re)) {
        const std::string items = m[2].str();
        for (auto it = std::sregex_iterator(items.begin(), items.end(), name_re); it != std::sregex_iterator(); ++it)
          classes[current].names.insert((*it)[1].str());
      }
    }
  }
  return classes;
}

void collect(const pickle::Values& values, ValueId id, const std::string& prefix,
             const std::map<std::string, ClassTensors>& classes, int depth,
             std::vector<NamedTensor>* out) {
  const pickle::Value& obj = values[id];
  if (depth > 64 || obj.kind != Kind::Object || obj.state == pickle::kNoValue ||
      values[obj.state].kind != Kind::Dict)
    return;
  auto declared = classes.find(obj.text);
  for (const auto& [key, value] : values[obj.state].entries) {
    const pickle::Value& k = values[key];
    const pickle::Value& v = values[value];
    if (k.kind != Kind::String) continue;
    const std::string name = prefix.empty() ? k.text : prefix + "." + k.text;
    if (v.kind == Kind::Tensor) {
      // Without code files (stripped archive) every tensor attribute is taken.
      if (declared == classes.end() || declared->second.names.count(k.text))
        out->push_back({name, v.tensor});
    } else if (v.kind == Kind::Object) {
      collect(values, value, name, classes, depth + 1, out);
    }
  }
}

}  // namespace

TensorFile read_torchscript_archive(const std::shared_ptr<MappedFile>& file, const ZipArchive& zip,
                                    const std::string& top) {
  const std::string source = file->path() + " (" + top + "/data.pkl)";
  const ByteSpan pkl = zip.read(top + "/data.pkl");
  std::vector<ValueId> storages;
  TorchPickleOptions options;
  options.allow_torchscript_classes = true;
  pickle::Unpickler unpickler(pkl.data, pkl.size, source, torch_pickle_hooks(options, &storages));
  pickle::Pickle root = unpickler.load();
  for (const ValueId id : storages) {
    pickle::Value* s = &root.values[id];
    const std::string entry = top + "/data/" + s->text;
    if (!zip.contains(entry))
      throw Error(ErrorKind::ModelFiles, file->path() + ": storage '" + s->text + "' is missing (no entry " + entry + ")");
    const ByteSpan bytes = zip.read(entry);
    if (static_cast<std::uint64_t>(s->numel) > bytes.size / c10::elementSize(s->dtype))
      throw Error(ErrorKind::ModelFiles, file->path() + ": storage '" + s->text + "' is truncated");
    s->tensor = tensor_over(bytes.owner, bytes.data, {s->numel}, {1}, s->dtype);
  }
  materialize_tensors(root, file->path());
  if (root.object().kind != Kind::Object)
    throw Error(ErrorKind::ModelFiles, source + ": TorchScript archive's root is " +
                                           root.object().describe() + ", not a module");

  TensorFile out;
  out.path = file->path();
  out.format = TensorFileFormat::TorchScript;
  out.metadata["torchscript.class"] = root.object().text;
  collect(root.values, root.root, "", read_class_declarations(zip, top), 0, &out.tensors);
  return out;
}

}  // namespace bd::io
