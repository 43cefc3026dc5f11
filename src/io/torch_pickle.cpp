#include "io/torch_pickle.h"

#include <set>

#include "bd/error.h"
#include "io/tensor_view.h"

namespace bd::io {

using pickle::Kind;
using pickle::kNoValue;
using pickle::Value;
using pickle::ValueId;
using pickle::Values;

namespace {

const std::map<std::string, torch::ScalarType>& storage_types() {
  static const std::map<std::string, torch::ScalarType> types = {
      {"DoubleStorage", torch::kFloat64}, {"FloatStorage", torch::kFloat32},
      {"HalfStorage", torch::kFloat16},   {"BFloat16Storage", torch::kBFloat16},
      {"LongStorage", torch::kInt64},     {"IntStorage", torch::kInt32},
      {"ShortStorage", torch::kInt16},    {"CharStorage", torch::kInt8},
      {"ByteStorage", torch::kUInt8},     {"BoolStorage", torch::kBool},
  };
  return types;
}

// The whole whitelist: nothing else may appear in a GLOBAL.
const std::set<std::string>& allowed_functions() {
  static const std::set<std::string> names = {
      "collections.OrderedDict",
      "torch._utils._rebuild_tensor",
      "torch._utils._rebuild_tensor_v2",
      "torch._utils._rebuild_parameter",
      "torch._utils._rebuild_parameter_with_state",
      "torch._tensor._rebuild_from_type_v2",
      "torch.Tensor",
      "torch.nn.parameter.Parameter",
  };
  return names;
}

const std::set<std::string>& torchscript_list_builders() {
  static const std::set<std::string> names = {
      "torch.jit._pickle.build_intlist",    "torch.jit._pickle.build_floatlist",
      "torch.jit._pickle.build_boollist",   "torch.jit._pickle.build_doublelist",
      "torch.jit._pickle.build_tensorlist", "torch.jit._pickle.restore_type_tag",
  };
  return names;
}

[[noreturn]] void bad(const std::string& what) { throw Error(ErrorKind::ModelFiles, what); }

std::vector<int64_t> int_tuple(const Values& values, ValueId id, const char* what) {
  const Value& v = values[id];
  if (v.kind != Kind::Tuple && v.kind != Kind::List) bad(std::string(what) + " is " + v.describe());
  std::vector<int64_t> out;
  for (const ValueId i : v.items) {
    if (values[i].kind != Kind::Int) bad(std::string(what) + " holds " + values[i].describe());
    out.push_back(values[i].integer);
  }
  return out;
}

ValueId rebuild_tensor(Values& values, const std::vector<ValueId>& args) {
  if (args.size() < 4) bad("_rebuild_tensor needs storage, offset, size, stride");
  if (values[args[0]].kind != Kind::Storage)
    bad("_rebuild_tensor got " + values[args[0]].describe() + " as storage");
  if (values[args[1]].kind != Kind::Int)
    bad("_rebuild_tensor got " + values[args[1]].describe() + " as offset");
  std::vector<int64_t> sizes = int_tuple(values, args[2], "tensor size");
  std::vector<int64_t> strides = int_tuple(values, args[3], "tensor stride");
  if (sizes.size() != strides.size()) bad("tensor size and stride differ in length");
  const ValueId id = values.make(Kind::Tensor);
  Value& t = values[id];
  t.storage = args[0];
  t.dtype = values[args[0]].dtype;
  t.offset = values[args[1]].integer;
  t.sizes = std::move(sizes);
  t.strides = std::move(strides);
  return id;
}

// collections.OrderedDict(items): Python 2 pickles (lpips' published weights) pass the
// items, OrderedDict([[k, v], …]); later ones none.
ValueId ordered_dict(Values& values, const std::vector<ValueId>& args) {
  std::vector<std::pair<ValueId, ValueId>> entries;
  if (!args.empty() &&
      (values[args[0]].kind == Kind::List || values[args[0]].kind == Kind::Tuple)) {
    for (const ValueId item : values[args[0]].items) {
      const Value& pair = values[item];
      if ((pair.kind != Kind::List && pair.kind != Kind::Tuple) || pair.items.size() != 2)
        bad("OrderedDict item is not a (key, value) pair");
      entries.emplace_back(pair.items[0], pair.items[1]);
    }
  }
  const ValueId dict = values.make(Kind::Dict);
  values[dict].entries = std::move(entries);
  return dict;
}

// torch._tensor._rebuild_from_type_v2(func, type, args, state): plain tensors and
// parameters only.
ValueId rebuild_from_type(Values& values, const std::vector<ValueId>& a) {
  if (a.size() < 3 || values[a[0]].kind != Kind::Global || values[a[1]].kind != Kind::Global ||
      values[a[2]].kind != Kind::Tuple)
    bad("malformed _rebuild_from_type_v2");
  if (values[a[1]].text != "torch.Tensor" && values[a[1]].text != "torch.nn.parameter.Parameter")
    bad("tensor subclass " + values[a[1]].text + " is not supported");
  const std::string& inner = values[a[0]].text;
  if (inner != "torch._utils._rebuild_tensor_v2" && inner != "torch._utils._rebuild_tensor")
    bad("unsupported rebuild function " + inner);
  return rebuild_tensor(values, values[a[2]].items);
}

// ('storage', <dtype global>, key, location, numel [, (view_key, offset, size)]).
ValueId storage_from_pid(Values& values, ValueId pid, std::vector<ValueId>* storages_seen) {
  const Value& p = values[pid];
  if (p.kind != Kind::Tuple || p.items.size() < 5 || values[p.items[0]].kind != Kind::String ||
      values[p.items[0]].text != "storage")
    return kNoValue;
  const std::vector<ValueId> it = p.items;
  if (values[it[1]].kind != Kind::Global) bad("storage type is " + values[it[1]].describe());
  const std::string& global = values[it[1]].text;
  const auto type = storage_types().find(global.substr(global.rfind('.') + 1));
  if (type == storage_types().end()) bad("unknown storage type " + global);
  if (values[it[2]].kind != Kind::String) bad("storage key is " + values[it[2]].describe());
  if (values[it[4]].kind != Kind::Int || values[it[4]].integer < 0)
    bad("storage size is " + values[it[4]].describe());
  const ValueId s = values.make(Kind::Storage);
  values[s].dtype = type->second;
  values[s].text = values[it[2]].text;
  values[s].numel = values[it[4]].integer;
  storages_seen->push_back(s);
  if (it.size() < 6 || values[it[5]].kind != Kind::Tuple) return s;
  // A legacy view into the root storage.
  const std::vector<ValueId> view = values[it[5]].items;
  if (view.size() != 3 || values[view[1]].kind != Kind::Int || values[view[2]].kind != Kind::Int ||
      values[view[1]].integer < 0 || values[view[2]].integer < 0)
    bad("malformed storage view");
  const ValueId v = values.make(Kind::Storage);
  values[v].dtype = values[s].dtype;
  values[v].text = values[s].text;
  values[v].storage = s;
  values[v].offset = values[view[1]].integer;
  values[v].numel = values[view[2]].integer;
  return v;
}

}  // namespace

pickle::Hooks torch_pickle_hooks(const TorchPickleOptions& options,
                                 std::vector<ValueId>* storages_seen) {
  pickle::Hooks hooks;
  hooks.global = [options](Values& values, const std::string& module,
                           const std::string& name) -> ValueId {
    const std::string full = module + "." + name;
    const bool ok = allowed_functions().count(full) ||
                    (module == "torch" && storage_types().count(name)) ||
                    (options.allow_torchscript_classes &&
                     (torchscript_list_builders().count(full) || module == "__torch__" ||
                      module.rfind("__torch__.", 0) == 0));
    if (!ok) return kNoValue;
    const ValueId g = values.make(Kind::Global);
    values[g].text = full;
    return g;
  };
  hooks.reduce = [](Values& values, ValueId fn, ValueId args) -> ValueId {
    if (values[fn].kind != Kind::Global) return kNoValue;
    const std::string f = values[fn].text;
    const std::vector<ValueId> a = values[args].items;
    if (f == "collections.OrderedDict") return ordered_dict(values, a);
    if (f == "torch._utils._rebuild_tensor_v2" || f == "torch._utils._rebuild_tensor")
      return rebuild_tensor(values, a);
    if (f == "torch._utils._rebuild_parameter" || f == "torch._utils._rebuild_parameter_with_state") {
      if (a.empty() || values[a[0]].kind != Kind::Tensor)
        bad("_rebuild_parameter without a tensor");
      return a[0];
    }
    if (f == "torch._tensor._rebuild_from_type_v2") return rebuild_from_type(values, a);
    if (torchscript_list_builders().count(f)) {
      if (a.empty()) bad(f + " without arguments");
      return a[0];
    }
    return kNoValue;
  };
  hooks.new_object = [](Values& values, ValueId cls, ValueId) -> ValueId {
    if (values[cls].kind != Kind::Global || values[cls].text.rfind("__torch__", 0) != 0)
      return kNoValue;
    const std::string name = values[cls].text;
    const ValueId obj = values.make(Kind::Object);
    values[obj].text = name;
    return obj;
  };
  hooks.persistent_load = [storages_seen](Values& values, ValueId pid) -> ValueId {
    return storage_from_pid(values, pid, storages_seen);
  };
  return hooks;
}

namespace {

void materialize_tensor(Values& values, Value& v, const std::string& source) {
  const Value* storage = &values[v.storage];
  int64_t base = 0;
  const int64_t view_numel = storage->numel;
  if (storage->storage != kNoValue) {  // a legacy view into a root storage
    const Value& root = values[storage->storage];
    base = storage->offset;
    int64_t view_end = 0;
    if (base < 0 || __builtin_add_overflow(base, storage->numel, &view_end) ||
        view_end > root.numel)
      bad(source + ": storage view lies outside its root storage");
    storage = &root;
  }
  if (!storage->tensor.defined()) bad(source + ": storage '" + storage->text + "' has no data");
  const auto numel = checked_numel(v.sizes);
  if (!numel) bad(source + ": tensor has a negative or overflowing size");
  if (v.offset < 0) bad(source + ": tensor has a negative storage offset");
  // The last element's index within the view, computed without overflow: a crafted
  // size or stride must not wrap around into range.
  int64_t last = v.offset;
  bool overflow = false;
  for (std::size_t i = 0; i < v.sizes.size() && *numel > 0; ++i) {
    if (v.strides[i] < 0) bad(source + ": tensor has a negative stride");
    int64_t span = 0;
    overflow |= __builtin_mul_overflow(v.sizes[i] - 1, v.strides[i], &span) ||
                __builtin_add_overflow(last, span, &last);
  }
  if (overflow || (*numel > 0 && last >= view_numel))
    bad(source + ": tensor view (offset " + std::to_string(v.offset) +
        ") reaches past the end of storage '" + storage->text + "' of " +
        std::to_string(view_numel) + " elements");
  if (*numel == 0) {
    v.tensor = torch::empty(v.sizes, torch::TensorOptions().dtype(storage->dtype));
  } else {
    v.tensor = storage->tensor.as_strided(v.sizes, v.strides, base + v.offset);
  }
}

void materialize(Values& values, ValueId id, const std::string& source,
                 std::vector<bool>& visited) {
  if (id == kNoValue || visited[id]) return;
  visited[id] = true;
  Value& v = values[id];
  switch (v.kind) {
    case Kind::Tensor:
      if (!v.tensor.defined()) materialize_tensor(values, v, source);
      return;
    case Kind::Tuple:
    case Kind::List:
      for (const ValueId i : v.items) materialize(values, i, source, visited);
      return;
    case Kind::Dict:
      for (const auto& e : v.entries) materialize(values, e.second, source, visited);
      return;
    case Kind::Object:
      materialize(values, v.state, source, visited);
      return;
    default: return;
  }
}

std::string leaf_text(const Value& v) {
  switch (v.kind) {
    case Kind::String:
      return v.text;
    case Kind::Int:
      return std::to_string(v.integer);
    case Kind::Float:
      return std::to_string(v.real);
    case Kind::Bool:
      return v.boolean ? "true" : "false";
    default:
      return v.describe();
  }
}

void flatten(const Values& values, ValueId id, const std::string& prefix, const std::string& source,
             int depth, std::vector<NamedTensor>* tensors,
             std::map<std::string, std::string>* metadata) {
  if (depth > 64) bad(source + ": state dict nests too deeply (cyclic?)");
  auto join = [&](const std::string& k) { return prefix.empty() ? k : prefix + "." + k; };
  const Value& v = values[id];
  switch (v.kind) {
    case Kind::Tensor:
      tensors->push_back({prefix, v.tensor});
      return;
    case Kind::Dict:
      for (const auto& [key_id, value] : v.entries) {
        const Value& k = values[key_id];
        std::string key = k.kind == Kind::String ? k.text
                          : k.kind == Kind::Int  ? std::to_string(k.integer)
                                                 : std::string();
        if (key.empty()) bad(source + ": state dict key is " + k.describe());
        flatten(values, value, join(key), source, depth + 1, tensors, metadata);
      }
      return;
    case Kind::List:
    case Kind::Tuple: {
      bool any_tensor = false;
      for (const ValueId i : v.items)
        any_tensor |= values[i].kind == Kind::Tensor || values[i].kind == Kind::Dict;
      if (!any_tensor) {
        if (!prefix.empty()) (*metadata)[prefix] = v.describe();
        return;
      }
      for (std::size_t i = 0; i < v.items.size(); ++i)
        flatten(values, v.items[i], join(std::to_string(i)), source, depth + 1, tensors, metadata);
      return;
    }
    default:
      if (!prefix.empty()) (*metadata)[prefix] = leaf_text(v);
      return;
  }
}

}  // namespace

void materialize_tensors(pickle::Pickle& pickle, const std::string& source) {
  std::vector<bool> visited(pickle.values.size(), false);
  materialize(pickle.values, pickle.root, source, visited);
}

void flatten_state_dict(const pickle::Pickle& pickle, const std::string& source,
                        std::vector<NamedTensor>* tensors,
                        std::map<std::string, std::string>* metadata) {
  if (pickle.object().kind != Kind::Dict)
    bad(source + ": expected a state dict (a dict of tensors) but the file holds " +
        pickle.object().describe());
  flatten(pickle.values, pickle.root, "", source, 0, tensors, metadata);
}

}  // namespace bd::io
