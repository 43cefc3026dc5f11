#include "io/pickle.h"

#include <cstring>

#include "bd/error.h"

namespace bd::io::pickle {

namespace {
// Bounds that no legitimate state dict comes near; they stop a crafted file from
// exhausting memory through the memo, the stack or the values it makes.
constexpr std::size_t kMaxStack = 1u << 20;
constexpr std::uint64_t kMaxMemo = 1u << 24;
constexpr std::size_t kMaxValues = 1u << 24;
// Deepest nesting accepted. A state dict nests a few levels, a TorchScript module tree a
// few dozen; the readers walk results recursively.
constexpr std::size_t kMaxDepth = 1000;

// The values a value holds, by index: items, then dict keys and values, state, storage.
std::size_t child_count(const Value& v) { return v.items.size() + 2 * v.entries.size() + 2; }
ValueId child(const Value& v, std::size_t i) {
  if (i < v.items.size()) return v.items[i];
  i -= v.items.size();
  if (i < 2 * v.entries.size()) return i % 2 ? v.entries[i / 2].second : v.entries[i / 2].first;
  i -= 2 * v.entries.size();
  return i == 0 ? v.state : v.storage;
}

// "" when the values below `roots` form no cycle and nest at most kMaxDepth deep, else
// what is wrong. APPEND, SETITEM and BUILD on memoised values can make a container hold
// itself, which a weight file never needs and on which the readers' walks would recurse
// forever.
std::string check_structure(const Values& values, const std::vector<ValueId>& roots) {
  enum : std::uint8_t { Unseen, OnPath, Done };
  std::vector<std::uint8_t> state(values.size(), Unseen);
  struct Frame {
    ValueId v;
    std::size_t next;
  };
  std::vector<Frame> path;
  for (const ValueId root : roots) {
    if (state[root] != Unseen) continue;
    state[root] = OnPath;
    path.push_back({root, 0});
    while (!path.empty()) {
      Frame& f = path.back();
      const Value& v = values[f.v];
      if (f.next == child_count(v)) {
        state[f.v] = Done;
        path.pop_back();
        continue;
      }
      const ValueId c = child(v, f.next++);
      if (c == kNoValue || state[c] == Done) continue;
      if (state[c] == OnPath) return "a container holds itself (cyclic structure)";
      if (path.size() >= kMaxDepth) return "values nest more than " + std::to_string(kMaxDepth) + " levels deep";
      state[c] = OnPath;
      path.push_back({c, 0});
    }
  }
  return {};
}

}  // namespace

ValueId Values::make(Kind kind) {
  values_.emplace_back().kind = kind;
  return static_cast<ValueId>(values_.size() - 1);
}
ValueId Values::make_string(std::string s) {
  const ValueId v = make(Kind::String);
  values_[v].text = std::move(s);
  return v;
}
ValueId Values::make_int(int64_t i) {
  const ValueId v = make(Kind::Int);
  values_[v].integer = i;
  return v;
}

std::string Value::describe() const {
  switch (kind) {
    case Kind::None: return "None";
    case Kind::Bool: return boolean ? "True" : "False";
    case Kind::Int: return "int " + std::to_string(integer);
    case Kind::Float: return "float";
    case Kind::String: return "str '" + text.substr(0, 60) + "'";
    case Kind::Bytes: return "bytes";
    case Kind::Tuple: return "tuple of " + std::to_string(items.size());
    case Kind::List: return "list of " + std::to_string(items.size());
    case Kind::Dict: return "dict of " + std::to_string(entries.size());
    case Kind::Global: return "global " + text;
    case Kind::Object: return "object of " + text;
    case Kind::Storage: return "storage " + text;
    case Kind::Tensor: return "tensor";
  }
  return "?";
}

Unpickler::Unpickler(const std::uint8_t* data, std::size_t size, std::string source, Hooks hooks)
    : data_(data), size_(size), source_(std::move(source)), hooks_(std::move(hooks)) {}

void Unpickler::fail(const std::string& what) const {
  throw Error(ErrorKind::ModelFiles,
              source_ + ": bad pickle at byte " + std::to_string(pos_) + ": " + what);
}

const std::uint8_t* Unpickler::take(std::size_t n) {
  if (n > size_ - pos_) fail("data ends early (truncated file?)");
  const std::uint8_t* p = data_ + pos_;
  pos_ += n;
  return p;
}

std::uint64_t Unpickler::read_le(int bytes) {
  const std::uint8_t* p = take(bytes);
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::string Unpickler::read_line() {
  std::size_t end = pos_;
  while (end < size_ && data_[end] != '\n') ++end;
  if (end >= size_) fail("unterminated line");
  std::string s(reinterpret_cast<const char*>(data_ + pos_), end - pos_);
  pos_ = end + 1;
  return s;
}

void Unpickler::push(ValueId v) {
  if (stack_.size() >= kMaxStack) fail("stack too deep");
  stack_.push_back(v);
}

ValueId Unpickler::pop() {
  if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail("stack underflow");
  const ValueId v = stack_.back();
  stack_.pop_back();
  return v;
}

ValueId Unpickler::top() {
  if (stack_.empty()) fail("stack underflow");
  return stack_.back();
}

std::vector<ValueId> Unpickler::pop_to_mark() {
  if (marks_.empty()) fail("MARK expected");
  const std::size_t mark = marks_.back();
  marks_.pop_back();
  std::vector<ValueId> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
  stack_.resize(mark);
  return items;
}

void Unpickler::memo_put(std::uint64_t index, ValueId v) {
  if (index >= kMaxMemo) fail("memo index " + std::to_string(index) + " too large");
  memo_[index] = v;
}

template <typename Hook, typename... Args>
ValueId Unpickler::call(const Hook& hook, Args&&... args) {
  return hook ? hook(values_, std::forward<Args>(args)...) : kNoValue;
}

Pickle Unpickler::load() {
  values_ = Values();
  stack_.clear();
  marks_.clear();
  memo_.clear();
  Pickle result;
  result.root = run();
  // Leftovers on the stack and in the memo too: a file that builds a cycle anywhere is
  // not a weight file.
  std::vector<ValueId> roots = {result.root};
  roots.insert(roots.end(), stack_.begin(), stack_.end());
  for (const auto& [index, v] : memo_) roots.push_back(v);
  if (const std::string problem = check_structure(values_, roots); !problem.empty()) fail(problem);
  result.values = std::move(values_);
  values_ = Values();
  stack_.clear();
  memo_.clear();
  return result;
}

ValueId Unpickler::run() {
  auto make = [&](Kind kind) {
    // Every opcode makes at most a few values (hooks included): checked here, the bound
    // holds for the whole pickle.
    if (values_.size() >= kMaxValues) fail("more than " + std::to_string(kMaxValues) + " values");
    return values_.make(kind);
  };
  auto push_string = [&](std::size_t n, Kind kind) {
    const std::uint8_t* p = take(n);
    const ValueId v = make(kind);
    values_[v].text.assign(reinterpret_cast<const char*>(p), n);
    push(v);
  };
  auto push_int = [&](int64_t i) {
    const ValueId v = make(Kind::Int);
    values_[v].integer = i;
    push(v);
  };
  auto memo_get = [&](std::uint64_t i) {
    const auto it = memo_.find(i);
    if (it == memo_.end()) fail("memo entry " + std::to_string(i) + " missing");
    push(it->second);
  };
  auto dict_set = [&](ValueId dict, ValueId k, ValueId v) {
    if (values_[dict].kind != Kind::Dict) fail("SETITEM on " + values_[dict].describe());
    values_[dict].entries.emplace_back(k, v);
  };
  auto resolve_global = [&](const std::string& module, const std::string& name) {
    const ValueId g = call(hooks_.global, module, name);
    if (g == kNoValue)
      throw Error(ErrorKind::ModelFiles,
                  source_ + ": refusing to load: the pickle references '" + module + "." + name +
                      "', which is not allowed in a weight file (loading never runs code from a file)");
    push(g);
  };

  for (;;) {
    const std::uint8_t op = *take(1);
    switch (op) {
      case 0x80: take(1); break;  // PROTO
      case 0x95: take(8); break;  // FRAME: framing is irrelevant for an in-memory read
      case '.':
        return pop();  // STOP
      case '(': marks_.push_back(stack_.size()); break;
      case '}': push(make(Kind::Dict)); break;
      case ']': push(make(Kind::List)); break;
      case ')': push(make(Kind::Tuple)); break;
      case 'N': push(make(Kind::None)); break;
      case 0x88:
      case 0x89: {
        const ValueId v = make(Kind::Bool);
        values_[v].boolean = op == 0x88;
        push(v);
        break;
      }
      case 'J':
        push_int(static_cast<int32_t>(read_le(4)));
        break;
      case 'K':
        push_int(static_cast<int64_t>(read_le(1)));
        break;
      case 'M':
        push_int(static_cast<int64_t>(read_le(2)));
        break;
      case 0x8a:    // LONG1
      case 0x8b: {  // LONG4
        const std::uint64_t n = op == 0x8a ? read_le(1) : read_le(4);
        if (n > 8) {
          // Only the legacy format's magic number is this long; keep its low bits.
          const std::uint8_t* p = take(n);
          std::uint64_t v = 0;
          for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
          push_int(static_cast<int64_t>(v));
          break;
        }
        std::uint64_t v = n == 0 ? 0 : read_le(static_cast<int>(n));
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~0ull << (8 * n);  // sign-extend
        push_int(static_cast<int64_t>(v));
        break;
      }
      case 'G': {  // BINFLOAT: big-endian IEEE double
        const std::uint8_t* p = take(8);
        std::uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[i];
        const ValueId v = make(Kind::Float);
        std::memcpy(&values_[v].real, &bits, 8);
        push(v);
        break;
      }
      case 'X': push_string(read_le(4), Kind::String); break;
      case 0x8c: push_string(read_le(1), Kind::String); break;
      case 0x8d: push_string(read_le(8), Kind::String); break;
      case 'T': push_string(static_cast<uint32_t>(read_le(4)), Kind::String); break;
      case 'U': push_string(read_le(1), Kind::String); break;
      case 'B': push_string(read_le(4), Kind::Bytes); break;
      case 'C': push_string(read_le(1), Kind::Bytes); break;
      case 0x8e: push_string(read_le(8), Kind::Bytes); break;
      case 't':
      case 'l': {
        std::vector<ValueId> items = pop_to_mark();
        const ValueId v = make(op == 't' ? Kind::Tuple : Kind::List);
        values_[v].items = std::move(items);
        push(v);
        break;
      }
      case 0x85:
      case 0x86:
      case 0x87: {
        const int n = op - 0x84;
        std::vector<ValueId> items(n);
        for (int i = n - 1; i >= 0; --i) items[i] = pop();
        const ValueId v = make(Kind::Tuple);
        values_[v].items = std::move(items);
        push(v);
        break;
      }
      case 'd': {
        const std::vector<ValueId> items = pop_to_mark();
        if (items.size() % 2) fail("DICT with an odd number of items");
        const ValueId v = make(Kind::Dict);
        for (std::size_t i = 0; i < items.size(); i += 2)
          values_[v].entries.emplace_back(items[i], items[i + 1]);
        push(v);
        break;
      }
      case 'a': {
        const ValueId item = pop();
        Value& list = values_[top()];
        if (list.kind != Kind::List) fail("APPEND to " + list.describe());
        list.items.push_back(item);
        break;
      }
      case 'e': {
        const std::vector<ValueId> items = pop_to_mark();
        Value& list = values_[top()];
        if (list.kind != Kind::List) fail("APPENDS to " + list.describe());
        list.items.insert(list.items.end(), items.begin(), items.end());
        break;
      }
      case 's': {
        const ValueId v = pop();
        const ValueId k = pop();
        dict_set(top(), k, v);
        break;
      }
      case 'u': {
        const std::vector<ValueId> items = pop_to_mark();
        if (items.size() % 2) fail("SETITEMS with an odd number of items");
        const ValueId dict = top();
        for (std::size_t i = 0; i < items.size(); i += 2) dict_set(dict, items[i], items[i + 1]);
        break;
      }
      case 'q': memo_put(read_le(1), top()); break;
      case 'r': memo_put(read_le(4), top()); break;
      case 0x94: memo_put(memo_.size(), top()); break;
      case 'h': memo_get(read_le(1)); break;
      case 'j': memo_get(read_le(4)); break;
      case '0': pop(); break;
      case '1': pop_to_mark(); break;
      case '2': push(top()); break;
      case 'c': {
        const std::string module = read_line();
        const std::string name = read_line();
        resolve_global(module, name);
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        const ValueId name = pop();
        const ValueId module = pop();
        if (values_[module].kind != Kind::String || values_[name].kind != Kind::String)
          fail("STACK_GLOBAL needs two strings");
        resolve_global(values_[module].text, values_[name].text);
        break;
      }
      case 'R': {
        const ValueId args = pop();
        const ValueId callable = pop();
        if (values_[args].kind != Kind::Tuple)
          fail("REDUCE arguments are " + values_[args].describe());
        const ValueId r = call(hooks_.reduce, callable, args);
        if (r == kNoValue) fail("cannot call " + values_[callable].describe());
        push(r);
        break;
      }
      case 0x81: {  // NEWOBJ
        const ValueId args = pop();
        const ValueId cls = pop();
        if (values_[args].kind != Kind::Tuple)
          fail("NEWOBJ arguments are " + values_[args].describe());
        const ValueId r = call(hooks_.new_object, cls, args);
        if (r == kNoValue) fail("cannot instantiate " + values_[cls].describe());
        push(r);
        break;
      }
      case 'b': {  // BUILD
        const ValueId state = pop();
        Value& obj = values_[top()];
        // OrderedDict state dicts carry `_metadata` this way; objects keep their state.
        if (obj.kind == Kind::Object)
          obj.state = state;
        else if (obj.kind != Kind::Dict && obj.kind != Kind::Tensor)
          fail("BUILD on " + obj.describe());
        break;
      }
      case 'Q':
      case 'P': {
        ValueId pid = kNoValue;
        if (op == 'Q') {
          pid = pop();
        } else {
          std::string line = read_line();
          pid = make(Kind::String);
          values_[pid].text = std::move(line);
        }
        const ValueId r = call(hooks_.persistent_load, pid);
        if (r == kNoValue) fail("unsupported persistent id " + values_[pid].describe());
        push(r);
        break;
      }
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "0x%02x", op);
        fail(std::string("unsupported opcode ") + buf);
      }
    }
  }
}

}  // namespace bd::io::pickle
