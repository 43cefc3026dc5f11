#pragma once
// A restricted unpickler for weight files. It builds plain values (no Python objects)
// and asks its owner what every GLOBAL, REDUCE, NEWOBJ and persistent id means, so a
// file can never make it run code: anything the owner does not whitelist is an error.
//
// Values live in one arena per pickle and refer to each other by index, so whatever a
// crafted file builds (a dict holding itself, a chain a million deep) is freed with the
// arena, without reference counts or recursion.
#include <torch/types.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace bd::io::pickle {

enum class Kind { None, Bool, Int, Float, String, Bytes, Tuple, List, Dict, Global, Object, Storage, Tensor };

// A value's index in its arena (Values).
using ValueId = std::uint32_t;
constexpr ValueId kNoValue = std::numeric_limits<ValueId>::max();

struct Value {
  Kind kind = Kind::None;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0.0;
  std::string text;  // String/Bytes payload; Global/Object: "module.name"; Storage: key
  std::vector<ValueId> items;                        // Tuple, List
  std::vector<std::pair<ValueId, ValueId>> entries;  // Dict (insertion order)
  ValueId state = kNoValue;                          // Object: what BUILD gave it
  // Storage: dtype and element count; Tensor: a view to be materialised by the owner.
  torch::ScalarType dtype = torch::kFloat32;
  int64_t numel = 0;
  ValueId storage = kNoValue;  // Tensor: its Storage; Storage: the root storage of a view
  int64_t offset = 0;
  std::vector<int64_t> sizes, strides;
  torch::Tensor tensor;  // Storage: its 1-D data once resolved; Tensor: once materialised

  std::string describe() const;  // "str 'abc'", "tuple of 3", ... for error messages
};

// The values of one pickle. A deque: references to values stay valid as more are made.
class Values {
 public:
  ValueId make(Kind kind);
  ValueId make_string(std::string s);
  ValueId make_int(int64_t v);
  Value& operator[](ValueId id) { return values_[id]; }
  const Value& operator[](ValueId id) const { return values_[id]; }
  std::size_t size() const { return values_.size(); }

 private:
  std::deque<Value> values_;
};

// What a load returns: every value it made, and the pickled object among them.
struct Pickle {
  Values values;
  ValueId root = kNoValue;

  Value& object() { return values[root]; }
  const Value& object() const { return values[root]; }
};

// Each hook makes what it returns in the arena it is given; kNoValue rejects.
struct Hooks {
  // GLOBAL / STACK_GLOBAL: the value standing for module.name (the unpickler throws
  // naming a rejected global).
  std::function<ValueId(Values&, const std::string& module, const std::string& name)> global;
  // REDUCE: callable is what `global` returned; args is a Tuple.
  std::function<ValueId(Values&, ValueId callable, ValueId args)> reduce;
  // NEWOBJ: cls is what `global` returned; args is a Tuple.
  std::function<ValueId(Values&, ValueId cls, ValueId args)> new_object;
  // BINPERSID / PERSID.
  std::function<ValueId(Values&, ValueId pid)> persistent_load;
};

class Unpickler {
 public:
  // `source` names the file (and entry) for error messages.
  Unpickler(const std::uint8_t* data, std::size_t size, std::string source, Hooks hooks);
  // Runs to STOP. Throws bd::Error(ModelFiles) on malformed input, a rejected global, a
  // cyclic structure or one nested deeper than 1000 levels.
  Pickle load();
  // Bytes consumed by the last load(): legacy checkpoints hold several pickles in a row.
  std::size_t position() const { return pos_; }

 private:
  ValueId run();
  [[noreturn]] void fail(const std::string& what) const;
  const std::uint8_t* take(std::size_t n);
  std::uint64_t read_le(int bytes);
  std::string read_line();
  std::vector<ValueId> pop_to_mark();
  ValueId pop();
  ValueId top();
  void push(ValueId v);
  void memo_put(std::uint64_t index, ValueId v);
  // Runs a hook; kNoValue when there is none.
  template <typename Hook, typename... Args>
  ValueId call(const Hook& hook, Args&&... args);

  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  std::string source_;
  Hooks hooks_;
  Values values_;
  std::vector<ValueId> stack_;
  std::vector<std::size_t> marks_;
  // Sparse: a pickle may memoise at any index below the limit, and a vector sized by the
  // largest index let a 51-byte file cost seconds and hundreds of MB (found by fuzzing).
  std::unordered_map<std::uint64_t, ValueId> memo_;
};

}  // namespace bd::io::pickle
