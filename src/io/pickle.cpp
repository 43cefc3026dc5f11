#include "io/pickle.h"

#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "bd/error.h"

namespace bd::io::pickle {

namespace {
// Bounds that no legitimate state dict comes near; they stop a crafted file from
// exhausting memory through the memo or the stack.
constexpr std::size_t kMaxStack = 1u << 20;
constexpr std::uint64_t kMaxMemo = 1u << 24;
// Deepest nesting accepted. A state dict nests a few levels, a TorchScript module tree a
// few dozen; the readers walk results recursively, and shared_ptr destructors recurse too.
constexpr std::size_t kMaxDepth = 1000;

// The values a value holds, by index: items, then dict keys and values, state, storage.
std::size_t child_count(const Value& v) {
  return v.items.size() + 2 * v.entries.size() + 2;
}
const Value* child(const Value& v, std::size_t i) {
  if (i < v.items.size()) return v.items[i].get();
  i -= v.items.size();
  if (i < 2 * v.entries.size()) return i % 2 ? v.entries[i / 2].second.get() : v.entries[i / 2].first.get();
  i -= 2 * v.entries.size();
  return i == 0 ? v.state.get() : v.storage.get();
}

// "" when the values below `roots` form no cycle and nest at most kMaxDepth deep, else
// what is wrong. APPEND, SETITEM and BUILD on memoised values can make a container hold
// itself, which a weight file never needs and which would leak or recurse forever.
std::string check_structure(const std::vector<const Value*>& roots) {
  std::unordered_map<const Value*, bool> done;  // false while on the current path
  struct Frame {
    const Value* v;
    std::size_t next;
  };
  std::vector<Frame> path;
  for (const Value* root : roots) {
    if (!root || done.count(root)) continue;
    done[root] = false;
    path.push_back({root, 0});
    while (!path.empty()) {
      Frame& f = path.back();
      if (f.next == child_count(*f.v)) {
        done[f.v] = true;
        path.pop_back();
        continue;
      }
      const Value* c = child(*f.v, f.next++);
      if (!c || (c->items.empty() && c->entries.empty() && !c->state && !c->storage)) continue;
      auto seen = done.find(c);
      if (seen != done.end()) {
        if (!seen->second) return "a container holds itself (cyclic structure)";
        continue;
      }
      if (path.size() >= kMaxDepth) return "values nest more than " + std::to_string(kMaxDepth) + " levels deep";
      done[c] = false;
      path.push_back({c, 0});
    }
  }
  return {};
}

// Every value made while an Unpickler::load runs on this thread is recorded here, so the
// load can free all it made, whatever holds it: a cycle (d[d] = d) dropped from the stack,
// or held only by a local when an error unwinds, is unreachable yet never freed by
// shared_ptr alone (LeakSanitizer found the second in fuzzing).
thread_local std::vector<std::weak_ptr<Value>>* t_made = nullptr;

class RecordMade {
 public:
  explicit RecordMade(std::vector<std::weak_ptr<Value>>* made) : previous_(t_made) { t_made = made; }
  ~RecordMade() { t_made = previous_; }
  RecordMade(const RecordMade&) = delete;
  RecordMade& operator=(const RecordMade&) = delete;

 private:
  std::vector<std::weak_ptr<Value>>* previous_;
};

}  // namespace

ValuePtr make(Kind kind) {
  auto v = std::make_shared<Value>();
  v->kind = kind;
  if (t_made) t_made->push_back(v);
  return v;
}
ValuePtr make_string(std::string s) {
  auto v = make(Kind::String);
  v->text = std::move(s);
  return v;
}
ValuePtr make_int(int64_t i) {
  auto v = make(Kind::Int);
  v->integer = i;
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

ValuePtr Unpickler::pop() {
  if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail("stack underflow");
  ValuePtr v = std::move(stack_.back());
  stack_.pop_back();
  return v;
}

ValuePtr& Unpickler::top() {
  if (stack_.empty()) fail("stack underflow");
  return stack_.back();
}

std::vector<ValuePtr> Unpickler::pop_to_mark() {
  if (marks_.empty()) fail("MARK expected");
  const std::size_t mark = marks_.back();
  marks_.pop_back();
  std::vector<ValuePtr> items(std::make_move_iterator(stack_.begin() + mark),
                              std::make_move_iterator(stack_.end()));
  stack_.resize(mark);
  return items;
}

void Unpickler::memo_put(std::uint64_t index, const ValuePtr& v) {
  if (index >= kMaxMemo) fail("memo index " + std::to_string(index) + " too large");
  memo_[index] = v;
}

Unpickler::~Unpickler() { release(nullptr); }

void Unpickler::release(const Value* keep) {
  stack_.clear();
  memo_.clear();
  marks_.clear();
  std::unordered_set<const Value*> kept;
  for (std::vector<const Value*> todo = {keep}; !todo.empty();) {
    const Value* v = todo.back();
    todo.pop_back();
    if (!v || !kept.insert(v).second) continue;
    for (std::size_t i = 0; i < child_count(*v); ++i) todo.push_back(child(*v, i));
  }
  std::vector<ValuePtr> garbage;
  for (const auto& weak : made_)
    if (ValuePtr v = weak.lock(); v && !kept.count(v.get())) garbage.push_back(std::move(v));
  made_.clear();
  // Unlink all first, while `garbage` holds every one: no cycle survives, and no destructor
  // recurses down a deep chain when they go.
  for (const auto& v : garbage) {
    v->items.clear();
    v->entries.clear();
    v->state.reset();
    v->storage.reset();
  }
}

ValuePtr Unpickler::load() {
  release(nullptr);
  const RecordMade record(&made_);
  ValuePtr result;
  try {
    result = run();
  } catch (...) {
    release(nullptr);
    throw;
  }
  std::vector<const Value*> roots = {result.get()};
  for (const auto& v : stack_) roots.push_back(v.get());
  for (const auto& [index, v] : memo_) roots.push_back(v.get());
  if (const std::string problem = check_structure(roots); !problem.empty()) {
    release(nullptr);
    fail(problem);
  }
  release(result.get());  // what the result does not hold: leftovers, dropped cycles
  return result;
}

ValuePtr Unpickler::run() {
  auto push = [&](ValuePtr v) {
    if (stack_.size() >= kMaxStack) fail("stack too deep");
    stack_.push_back(std::move(v));
  };
  auto push_string = [&](std::size_t n, Kind kind) {
    const std::uint8_t* p = take(n);
    auto v = make(kind);
    v->text.assign(reinterpret_cast<const char*>(p), n);
    push(v);
  };
  auto memo_get = [&](std::uint64_t i) {
    const auto it = memo_.find(i);
    if (it == memo_.end() || !it->second) fail("memo entry " + std::to_string(i) + " missing");
    push(it->second);
  };
  auto dict_set = [&](const ValuePtr& dict, ValuePtr k, ValuePtr v) {
    if (dict->kind != Kind::Dict) fail("SETITEM on " + dict->describe());
    dict->entries.emplace_back(std::move(k), std::move(v));
  };
  auto resolve_global = [&](const std::string& module, const std::string& name) {
    ValuePtr g = hooks_.global ? hooks_.global(module, name) : nullptr;
    if (!g)
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
      case '.': {                 // STOP
        ValuePtr result = pop();
        return result;
      }
      case '(': marks_.push_back(stack_.size()); break;
      case '}': push(make(Kind::Dict)); break;
      case ']': push(make(Kind::List)); break;
      case ')': push(make(Kind::Tuple)); break;
      case 'N': push(make(Kind::None)); break;
      case 0x88:
      case 0x89: {
        auto v = make(Kind::Bool);
        v->boolean = op == 0x88;
        push(v);
        break;
      }
      case 'J': push(make_int(static_cast<int32_t>(read_le(4)))); break;
      case 'K': push(make_int(static_cast<int64_t>(read_le(1)))); break;
      case 'M': push(make_int(static_cast<int64_t>(read_le(2)))); break;
      case 0x8a:    // LONG1
      case 0x8b: {  // LONG4
        const std::uint64_t n = op == 0x8a ? read_le(1) : read_le(4);
        if (n > 8) {
          // Only the legacy format's magic number is this long; keep its low bits.
          const std::uint8_t* p = take(n);
          std::uint64_t v = 0;
          for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
          push(make_int(static_cast<int64_t>(v)));
          break;
        }
        std::uint64_t v = n == 0 ? 0 : read_le(static_cast<int>(n));
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~0ull << (8 * n);  // sign-extend
        push(make_int(static_cast<int64_t>(v)));
        break;
      }
      case 'G': {  // BINFLOAT: big-endian IEEE double
        const std::uint8_t* p = take(8);
        std::uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[i];
        auto v = make(Kind::Float);
        std::memcpy(&v->real, &bits, 8);
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
      case 't': {
        auto v = make(Kind::Tuple);
        v->items = pop_to_mark();
        push(v);
        break;
      }
      case 0x85:
      case 0x86:
      case 0x87: {
        const int n = op - 0x84;
        auto v = make(Kind::Tuple);
        v->items.resize(n);
        for (int i = n - 1; i >= 0; --i) v->items[i] = pop();
        push(v);
        break;
      }
      case 'l': {
        auto v = make(Kind::List);
        v->items = pop_to_mark();
        push(v);
        break;
      }
      case 'd': {
        auto items = pop_to_mark();
        if (items.size() % 2) fail("DICT with an odd number of items");
        auto v = make(Kind::Dict);
        for (std::size_t i = 0; i < items.size(); i += 2) v->entries.emplace_back(items[i], items[i + 1]);
        push(v);
        break;
      }
      case 'a': {
        ValuePtr item = pop();
        ValuePtr& list = top();
        if (list->kind != Kind::List) fail("APPEND to " + list->describe());
        list->items.push_back(std::move(item));
        break;
      }
      case 'e': {
        auto items = pop_to_mark();
        ValuePtr& list = top();
        if (list->kind != Kind::List) fail("APPENDS to " + list->describe());
        for (auto& i : items) list->items.push_back(std::move(i));
        break;
      }
      case 's': {
        ValuePtr v = pop();
        ValuePtr k = pop();
        dict_set(top(), std::move(k), std::move(v));
        break;
      }
      case 'u': {
        auto items = pop_to_mark();
        if (items.size() % 2) fail("SETITEMS with an odd number of items");
        ValuePtr dict = top();
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
        ValuePtr name = pop();
        ValuePtr module = pop();
        if (module->kind != Kind::String || name->kind != Kind::String) fail("STACK_GLOBAL needs two strings");
        resolve_global(module->text, name->text);
        break;
      }
      case 'R': {
        ValuePtr args = pop();
        ValuePtr callable = pop();
        if (args->kind != Kind::Tuple) fail("REDUCE arguments are " + args->describe());
        ValuePtr r = hooks_.reduce ? hooks_.reduce(callable, args) : nullptr;
        if (!r) fail("cannot call " + callable->describe());
        push(r);
        break;
      }
      case 0x81: {  // NEWOBJ
        ValuePtr args = pop();
        ValuePtr cls = pop();
        if (args->kind != Kind::Tuple) fail("NEWOBJ arguments are " + args->describe());
        ValuePtr r = hooks_.new_object ? hooks_.new_object(cls, args) : nullptr;
        if (!r) fail("cannot instantiate " + cls->describe());
        push(r);
        break;
      }
      case 'b': {  // BUILD
        ValuePtr state = pop();
        ValuePtr& obj = top();
        // OrderedDict state dicts carry `_metadata` this way; objects keep their state.
        if (obj->kind == Kind::Object) obj->state = state;
        else if (obj->kind != Kind::Dict && obj->kind != Kind::Tensor) fail("BUILD on " + obj->describe());
        break;
      }
      case 'Q':
      case 'P': {
        ValuePtr pid = op == 'Q' ? pop() : make_string(read_line());
        ValuePtr r = hooks_.persistent_load ? hooks_.persistent_load(pid) : nullptr;
        if (!r) fail("unsupported persistent id " + pid->describe());
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
