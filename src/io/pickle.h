#pragma once
// A restricted unpickler for weight files. It builds plain values (no Python objects)
// and asks its owner what every GLOBAL, REDUCE, NEWOBJ and persistent id means, so a
// file can never make it run code: anything the owner does not whitelist is an error.
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace bd::io::pickle {

struct Value;
using ValuePtr = std::shared_ptr<Value>;

enum class Kind { None, Bool, Int, Float, String, Bytes, Tuple, List, Dict, Global, Object, Storage, Tensor };

struct Value {
  Kind kind = Kind::None;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0.0;
  std::string text;  // String/Bytes payload; Global/Object: "module.name"; Storage: key
  std::vector<ValuePtr> items;                          // Tuple, List
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;   // Dict (insertion order)
  ValuePtr state;                                       // Object: what BUILD gave it
  // Storage: dtype and element count; Tensor: a view to be materialised by the owner.
  torch::ScalarType dtype = torch::kFloat32;
  int64_t numel = 0;
  ValuePtr storage;  // Tensor: its Storage value
  int64_t offset = 0;
  std::vector<int64_t> sizes, strides;
  torch::Tensor tensor;  // Storage: its 1-D data once resolved; Tensor: once materialised

  std::string describe() const;  // "str 'abc'", "tuple of 3", ... for error messages
};

ValuePtr make(Kind kind);
ValuePtr make_string(std::string s);
ValuePtr make_int(int64_t v);

struct Hooks {
  // GLOBAL / STACK_GLOBAL: return the value standing for module.name, or nullptr to
  // reject it (the unpickler then throws naming the global).
  std::function<ValuePtr(const std::string& module, const std::string& name)> global;
  // REDUCE: callable is what `global` returned; args is a Tuple.
  std::function<ValuePtr(const ValuePtr& callable, const ValuePtr& args)> reduce;
  // NEWOBJ: cls is what `global` returned; args is a Tuple.
  std::function<ValuePtr(const ValuePtr& cls, const ValuePtr& args)> new_object;
  // BINPERSID / PERSID.
  std::function<ValuePtr(const ValuePtr& pid)> persistent_load;
};

class Unpickler {
 public:
  // `source` names the file (and entry) for error messages.
  Unpickler(const std::uint8_t* data, std::size_t size, std::string source, Hooks hooks);
  ~Unpickler();
  Unpickler(const Unpickler&) = delete;
  Unpickler& operator=(const Unpickler&) = delete;
  // Runs to STOP. Throws bd::Error(ModelFiles) on malformed input, a rejected global, a
  // cyclic structure or one nested deeper than 1000 levels.
  ValuePtr load();
  // Bytes consumed by the last load(): legacy checkpoints hold several pickles in a row.
  std::size_t position() const { return pos_; }

 private:
  ValuePtr run();
  // Empties the stack and memo and frees every value this load made that `keep` does not
  // hold (directly or below): safe for cycles and deep chains.
  void release(const Value* keep);
  [[noreturn]] void fail(const std::string& what) const;
  const std::uint8_t* take(std::size_t n);
  std::uint64_t read_le(int bytes);
  std::string read_line();
  std::vector<ValuePtr> pop_to_mark();
  ValuePtr pop();
  ValuePtr& top();
  void memo_put(std::uint64_t index, const ValuePtr& v);

  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  std::string source_;
  Hooks hooks_;
  std::vector<ValuePtr> stack_;
  std::vector<std::size_t> marks_;
  // Sparse: a pickle may memoise at any index below the limit, and a vector sized by the
  // largest index let a 51-byte file cost seconds and hundreds of MB (found by fuzzing).
  std::unordered_map<std::uint64_t, ValuePtr> memo_;
  std::vector<std::weak_ptr<Value>> made_;  // every value made during the current load
};

}  // namespace bd::io::pickle
