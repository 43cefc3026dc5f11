#include "io/torch_pickle.h"

#include <set>

#include "bd/error.h"
#include "io/tensor_view.h"

namespace bd::io {

using pickle::Kind;
using pickle::make;
using pickle::Value;
using pickle::ValuePtr;

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

std::vector<int64_t> int_tuple(const ValuePtr& v, const char* what) {
  if (v->kind != Kind::Tuple && v->kind != Kind::List) bad(std::string(what) + " is " + v->describe());
  std::vector<int64_t> out;
  for (const auto& i : v->items) {
    if (i->kind != Kind::Int) bad(std::string(what) + " holds " + i->describe());
    out.push_back(i->integer);
  }
  return out;
}

ValuePtr rebuild_tensor(const std::vector<ValuePtr>& args) {
  if (args.size() < 4) bad("_rebuild_tensor needs storage, offset, size, stride");
  if (args[0]->kind != Kind::Storage) bad("_rebuild_tensor got " + args[0]->describe() + " as storage");
  if (args[1]->kind != Kind::Int) bad("_rebuild_tensor got " + args[1]->describe() + " as offset");
  auto t = make(Kind::Tensor);
  t->storage = args[0];
  t->dtype = args[0]->dtype;
  t->offset = args[1]->integer;
  t->sizes = int_tuple(args[2], "tensor size");
  t->strides = int_tuple(args[3], "tensor stride");
  if (t->sizes.size() != t->strides.size()) bad("tensor size and stride differ in length");
  return t;
}

}  // namespace

pickle::Hooks torch_pickle_hooks(const TorchPickleOptions& options,
                                 std::vector<ValuePtr>* storages_seen) {
  pickle::Hooks hooks;
  hooks.global = [options](const std::string& module, const std::string& name) -> ValuePtr {
    const std::string full = module + "." + name;
    const bool ok = allowed_functions().count(full) ||
                    (module == "torch" && storage_types().count(name)) ||
                    (options.allow_torchscript_classes &&
                     (torchscript_list_builders().count(full) ||
                      module == "__torch__" || module.rfind("__torch__.", 0) == 0));
    if (!ok) return nullptr;
    auto g = make(Kind::Global);
    g->text = full;
    return g;
  };
  hooks.reduce = [](const ValuePtr& fn, const ValuePtr& args) -> ValuePtr {
    if (fn->kind != Kind::Global) return nullptr;
    const std::string& f = fn->text;
    const auto& a = args->items;
    if (f == "collections.OrderedDict") {
      // Python 2 pickles (lpips' published weights) pass the items: OrderedDict([[k, v], …]).
      auto dict = make(Kind::Dict);
      if (!a.empty() && (a[0]->kind == Kind::List || a[0]->kind == Kind::Tuple)) {
        for (const auto& item : a[0]->items) {
          if ((item->kind != Kind::List && item->kind != Kind::Tuple) || item->items.size() != 2)
            bad("OrderedDict item is not a (key, value) pair");
          dict->entries.emplace_back(item->items[0], item->items[1]);
        }
      }
      return dict;
    }
    if (f == "torch._utils._rebuild_tensor_v2" || f == "torch._utils._rebuild_tensor")
      return rebuild_tensor(a);
    if (f == "torch._utils._rebuild_parameter" || f == "torch._utils._rebuild_parameter_with_state") {
      if (a.empty() || a[0]->kind != Kind::Tensor) bad("_rebuild_parameter without a tensor");
      return a[0];
    }
    if (f == "torch._tensor._rebuild_from_type_v2") {
      // (func, type, args, state): only plain tensors and parameters are accepted.
      if (a.size() < 3 || a[0]->kind != Kind::Global || a[1]->kind != Kind::Global ||
          a[2]->kind != Kind::Tuple)
        bad("malformed _rebuild_from_type_v2");
      if (a[1]->text != "torch.Tensor" && a[1]->text != "torch.nn.parameter.Parameter")
        bad("tensor subclass " + a[1]->text + " is not supported");
      auto inner = make(Kind::Global);
      inner->text = a[0]->text;
      if (inner->text == "torch._utils._rebuild_tensor_v2" || inner->text == "torch._utils._rebuild_tensor")
        return rebuild_tensor(a[2]->items);
      bad("unsupported rebuild function " + inner->text);
    }
    if (torchscript_list_builders().count(f)) {
      if (a.empty()) bad(f + " without arguments");
      return a[0];
    }
    return nullptr;
  };
  hooks.new_object = [](const ValuePtr& cls, const ValuePtr&) -> ValuePtr {
    if (cls->kind != Kind::Global || cls->text.rfind("__torch__", 0) != 0) return nullptr;
    auto obj = make(Kind::Object);
    obj->text = cls->text;
    return obj;
  };
  hooks.persistent_load = [storages_seen](const ValuePtr& pid) -> ValuePtr {
    if (pid->kind != Kind::Tuple || pid->items.size() < 5 || pid->items[0]->kind != Kind::String ||
        pid->items[0]->text != "storage")
      return nullptr;
    const auto& it = pid->items;
    if (it[1]->kind != Kind::Global) bad("storage type is " + it[1]->describe());
    const std::string type_name = it[1]->text.substr(it[1]->text.rfind('.') + 1);
    auto type = storage_types().find(type_name);
    if (type == storage_types().end()) bad("unknown storage type " + it[1]->text);
    if (it[2]->kind != Kind::String) bad("storage key is " + it[2]->describe());
    if (it[4]->kind != Kind::Int || it[4]->integer < 0) bad("storage size is " + it[4]->describe());
    auto s = make(Kind::Storage);
    s->dtype = type->second;
    s->text = it[2]->text;
    s->numel = it[4]->integer;
    // Legacy views: (view_key, offset, size) into the root storage.
    if (it.size() >= 6 && it[5]->kind == Kind::Tuple) {
      const auto& view = it[5]->items;
      if (view.size() != 3 || view[1]->kind != Kind::Int || view[2]->kind != Kind::Int ||
          view[1]->integer < 0 || view[2]->integer < 0)
        bad("malformed storage view");
      auto v = make(Kind::Storage);
      v->dtype = s->dtype;
      v->text = s->text;
      v->storage = s;
      v->offset = view[1]->integer;
      v->numel = view[2]->integer;
      storages_seen->push_back(s);
      return v;
    }
    storages_seen->push_back(s);
    return s;
  };
  return hooks;
}

namespace {

void materialize(const ValuePtr& v, const std::string& source, std::set<const Value*>& visited) {
  if (!v || !visited.insert(v.get()).second) return;
  switch (v->kind) {
    case Kind::Tensor: {
      if (v->tensor.defined()) return;
      ValuePtr storage = v->storage;
      int64_t base = 0;
      int64_t view_numel = storage->numel;
      if (storage->storage) {  // a legacy view into a root storage
        base = storage->offset;
        int64_t view_end = 0;
        if (base < 0 || __builtin_add_overflow(base, storage->numel, &view_end) ||
            view_end > storage->storage->numel)
          bad(source + ": storage view lies outside its root storage");
        storage = storage->storage;
      }
      if (!storage->tensor.defined()) bad(source + ": storage '" + storage->text + "' has no data");
      const auto numel = checked_numel(v->sizes);
      if (!numel) bad(source + ": tensor has a negative or overflowing size");
      if (v->offset < 0) bad(source + ": tensor has a negative storage offset");
      // The last element's index within the view, computed without overflow: a crafted
      // size or stride must not wrap around into range.
      int64_t last = v->offset;
      bool overflow = false;
      for (std::size_t i = 0; i < v->sizes.size() && *numel > 0; ++i) {
        if (v->strides[i] < 0) bad(source + ": tensor has a negative stride");
        int64_t span = 0;
        overflow |= __builtin_mul_overflow(v->sizes[i] - 1, v->strides[i], &span) ||
                    __builtin_add_overflow(last, span, &last);
      }
      if (overflow || (*numel > 0 && last >= view_numel))
        bad(source + ": tensor view (offset " + std::to_string(v->offset) +
            ") reaches past the end of storage '" + storage->text + "' of " +
            std::to_string(view_numel) + " elements");
      if (*numel == 0) {
        v->tensor = torch::empty(v->sizes, torch::TensorOptions().dtype(storage->dtype));
      } else {
        v->tensor = storage->tensor.as_strided(v->sizes, v->strides, base + v->offset);
      }
      return;
    }
    case Kind::Tuple:
    case Kind::List:
      for (const auto& i : v->items) materialize(i, source, visited);
      return;
    case Kind::Dict:
      for (const auto& e : v->entries) materialize(e.second, source, visited);
      return;
    case Kind::Object:
      materialize(v->state, source, visited);
      return;
    default: return;
  }
}

std::string leaf_text(const ValuePtr& v) {
  switch (v->kind) {
    case Kind::String: return v->text;
    case Kind::Int: return std::to_string(v->integer);
    case Kind::Float: return std::to_string(v->real);
    case Kind::Bool: return v->boolean ? "true" : "false";
    default: return v->describe();
  }
}

void flatten(const ValuePtr& v, const std::string& prefix, const std::string& source, int depth,
             std::vector<NamedTensor>* tensors, std::map<std::string, std::string>* metadata) {
  if (depth > 64) bad(source + ": state dict nests too deeply (cyclic?)");
  auto join = [&](const std::string& k) { return prefix.empty() ? k : prefix + "." + k; };
  switch (v->kind) {
    case Kind::Tensor: tensors->push_back({prefix, v->tensor}); return;
    case Kind::Dict:
      for (const auto& [k, value] : v->entries) {
        std::string key = k->kind == Kind::String ? k->text
                          : k->kind == Kind::Int  ? std::to_string(k->integer)
                                                  : std::string();
        if (key.empty()) bad(source + ": state dict key is " + k->describe());
        flatten(value, join(key), source, depth + 1, tensors, metadata);
      }
      return;
    case Kind::List:
    case Kind::Tuple: {
      bool any_tensor = false;
      for (const auto& i : v->items) any_tensor |= i->kind == Kind::Tensor || i->kind == Kind::Dict;
      if (!any_tensor) {
        if (!prefix.empty()) (*metadata)[prefix] = v->describe();
        return;
      }
      for (std::size_t i = 0; i < v->items.size(); ++i)
        flatten(v->items[i], join(std::to_string(i)), source, depth + 1, tensors, metadata);
      return;
    }
    default:
      if (!prefix.empty()) (*metadata)[prefix] = leaf_text(v);
      return;
  }
}

}  // namespace

void materialize_tensors(const ValuePtr& root, const std::string& source) {
  std::set<const Value*> visited;
  materialize(root, source, visited);
}

void flatten_state_dict(const ValuePtr& root, const std::string& source,
                        std::vector<NamedTensor>* tensors,
                        std::map<std::string, std::string>* metadata) {
  if (root->kind != Kind::Dict)
    bad(source + ": expected a state dict (a dict of tensors) but the file holds " + root->describe());
  flatten(root, "", source, 0, tensors, metadata);
}

}  // namespace bd::io
