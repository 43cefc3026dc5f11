#include "io/torch_checkpoint.h"

#include <algorithm>

#include "bd/error.h"
#include "io/tensor_view.h"
#include "io/torch_pickle.h"
#include "io/torchscript_archive.h"
#include "io/zip_archive.h"

namespace bd::io {

using pickle::Kind;
using pickle::ValueId;

namespace {

// torch.save names the top folder after the file (or "archive"); find it by data.pkl.
std::string find_top_folder(const ZipArchive& zip) {
  std::string top;
  for (const auto& name : zip.names()) {
    const auto slash = name.find('/');
    if (slash != std::string::npos && name.substr(slash + 1) == "data.pkl") {
      top = name.substr(0, slash);
      break;
    }
  }
  if (top.empty())
    throw Error(ErrorKind::ModelFiles,
                zip.path() + ": a ZIP file but not a PyTorch checkpoint (no <folder>/data.pkl entry)");
  if (zip.contains(top + "/byteorder")) {
    const ByteSpan order = zip.read(top + "/byteorder");
    if (std::string(reinterpret_cast<const char*>(order.data), order.size) != "little")
      throw Error(ErrorKind::ModelFiles, zip.path() + ": big-endian checkpoints are not supported");
  }
  return top;
}

void resolve_zip_storages(const ZipArchive& zip, const std::string& top, const std::string& folder,
                          pickle::Values& values, const std::vector<ValueId>& storages) {
  for (const ValueId id : storages) {
    pickle::Value* s = &values[id];
    if (s->tensor.defined()) continue;
    const std::string entry = top + "/" + folder + "/" + s->text;
    if (!zip.contains(entry))
      throw Error(ErrorKind::ModelFiles, zip.path() + ": storage '" + s->text + "' is missing (no entry " + entry + ")");
    const ByteSpan bytes = zip.read(entry);
    const std::uint64_t element = c10::elementSize(s->dtype);
    if (static_cast<std::uint64_t>(s->numel) > bytes.size / element)
      throw Error(ErrorKind::ModelFiles, zip.path() + ": storage '" + s->text + "' holds " +
                                             std::to_string(bytes.size) + " bytes but " + std::to_string(s->numel) +
                                             " elements of " + std::to_string(element) +
                                             " bytes are needed (truncated?)");
    s->tensor = tensor_over(bytes.owner, bytes.data, {s->numel}, {1}, s->dtype);
  }
}

}  // namespace

TensorFile read_torch_zip(const std::shared_ptr<MappedFile>& file) {
  ZipArchive zip(file);
  const std::string top = find_top_folder(zip);
  if (zip.contains(top + "/constants.pkl") || zip.contains(top + "/code/__torch__.py"))
    return read_torchscript_archive(file, zip, top);

  const std::string source = file->path() + " (" + top + "/data.pkl)";
  const ByteSpan pkl = zip.read(top + "/data.pkl");
  std::vector<ValueId> storages;
  pickle::Unpickler unpickler(pkl.data, pkl.size, source, torch_pickle_hooks({}, &storages));
  pickle::Pickle root = unpickler.load();
  resolve_zip_storages(zip, top, "data", root.values, storages);
  materialize_tensors(root, file->path());

  TensorFile out;
  out.path = file->path();
  out.format = TensorFileFormat::TorchZip;
  flatten_state_dict(root, file->path(), &out.tensors, &out.metadata);
  return out;
}

bool looks_like_torch_legacy(const std::uint8_t* data, std::size_t size) {
  // PROTO 2, LONG1 of 10 bytes: the legacy magic 0x1950a86a20f9469cfc6c.
  static const std::uint8_t magic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                       0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
  return size >= sizeof magic && std::equal(magic, magic + sizeof magic, data);
}

TensorFile read_torch_legacy(const std::shared_ptr<MappedFile>& file) {
  const std::string& path = file->path();
  const std::uint8_t* data = file->data();
  const std::size_t size = file->size();
  std::size_t pos = 0;
  auto next_pickle = [&](const char* what, pickle::Hooks hooks) {
    pickle::Unpickler u(data + pos, size - pos, path + " (" + what + ")", std::move(hooks));
    pickle::Pickle p = u.load();
    pos += u.position();
    return p;
  };
  next_pickle("magic number", {});
  const pickle::Pickle protocol = next_pickle("protocol version", {});
  if (protocol.object().kind != Kind::Int || protocol.object().integer != 1001)
    throw Error(ErrorKind::ModelFiles,
                path + ": unsupported legacy checkpoint protocol " + protocol.object().describe());
  const pickle::Pickle sys_info = next_pickle("system info", {});
  if (sys_info.object().kind == Kind::Dict) {
    for (const auto& [key, value] : sys_info.object().entries) {
      const pickle::Value& k = sys_info.values[key];
      const pickle::Value& v = sys_info.values[value];
      if (k.kind == Kind::String && k.text == "little_endian" && v.kind == Kind::Bool && !v.boolean)
        throw Error(ErrorKind::ModelFiles, path + ": big-endian checkpoints are not supported");
    }
  }
  std::vector<ValueId> storages;
  pickle::Pickle root = next_pickle("state dict", torch_pickle_hooks({}, &storages));
  const pickle::Pickle keys = next_pickle("storage keys", {});
  if (keys.object().kind != Kind::List)
    throw Error(ErrorKind::ModelFiles, path + ": storage key list is " + keys.object().describe());

  std::map<std::string, std::vector<pickle::Value*>> by_key;
  for (const ValueId s : storages) by_key[root.values[s].text].push_back(&root.values[s]);
  for (const ValueId key : keys.object().items) {
    const pickle::Value& k = keys.values[key];
    if (k.kind != Kind::String)
      throw Error(ErrorKind::ModelFiles, path + ": storage key is " + k.describe());
    auto it = by_key.find(k.text);
    if (it == by_key.end())
      throw Error(ErrorKind::ModelFiles,
                  path + ": raw data for storage '" + k.text + "' that no tensor uses");
    const torch::ScalarType type = it->second.front()->dtype;
    if (size - pos < 8) throw Error(ErrorKind::ModelFiles, path + ": storage data ends early (truncated file?)");
    std::uint64_t numel = 0;
    for (int i = 7; i >= 0; --i) numel = (numel << 8) | data[pos + i];
    pos += 8;
    const std::uint64_t element = c10::elementSize(type);
    if (numel > (size - pos) / element)
      throw Error(ErrorKind::ModelFiles, path + ": storage '" + k.text + "' claims " +
                                             std::to_string(numel) +
                                             " elements but the file ends first (truncated?)");
    torch::Tensor t = tensor_over(file, data + pos, {static_cast<int64_t>(numel)}, {1}, type);
    pos += numel * element;
    for (const auto& s : it->second) {
      if (s->numel > static_cast<int64_t>(numel))
        throw Error(ErrorKind::ModelFiles,
                    path + ": storage '" + k.text + "' is shorter than its tensors need");
      s->numel = static_cast<int64_t>(numel);
      s->tensor = t;
    }
  }
  materialize_tensors(root, path);
  TensorFile out;
  out.path = path;
  out.format = TensorFileFormat::TorchLegacy;
  flatten_state_dict(root, path, &out.tensors, &out.metadata);
  return out;
}

}  // namespace bd::io
