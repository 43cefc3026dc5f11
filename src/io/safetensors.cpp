#include "io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "bd/error.h"
#include "io/atomic_file.h"
#include "io/tensor_view.h"

namespace bd::io {

namespace {

constexpr std::uint64_t kMaxHeaderBytes = 100ull << 20;  // the format's own limit

std::uint64_t read_u64_le(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

struct Entry {
  std::string name;
  torch::ScalarType type;
  std::vector<int64_t> shape;
  std::uint64_t begin = 0, end = 0;
};

}  // namespace

bool looks_like_safetensors(const std::uint8_t* data, std::size_t size) {
  if (size < 10) return false;
  const std::uint64_t n = read_u64_le(data);
  return n >= 2 && n <= size - 8 && data[8] == '{';
}

TensorFile read_safetensors(const std::string& path) {
  auto file = MappedFile::open(path);
  auto bad = [&](const std::string& what) {
    return Error(ErrorKind::ModelFiles, path + ": invalid safetensors file: " + what);
  };
  if (file->size() < 8) throw bad("file is " + std::to_string(file->size()) + " bytes, too short for the header length");
  const std::uint64_t header_len = read_u64_le(file->data());
  if (header_len > kMaxHeaderBytes) throw bad("header length " + std::to_string(header_len) + " exceeds the 100 MB limit");
  if (header_len > file->size() - 8)
    throw bad("header length " + std::to_string(header_len) + " runs past the end of the " +
              std::to_string(file->size()) + "-byte file (truncated?)");

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(file->data() + 8, file->data() + 8 + header_len);
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) throw bad("header is not a JSON object");

  const std::uint8_t* data = file->data() + 8 + header_len;
  const std::uint64_t data_size = file->size() - 8 - header_len;

  TensorFile out;
  out.path = path;
  out.format = TensorFileFormat::Safetensors;
  std::vector<Entry> entries;
  std::vector<std::string> problems;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& key = it.key();
    const auto& v = it.value();
    if (key == "__metadata__") {
      if (!v.is_object()) {
        problems.push_back("__metadata__ is not an object");
        continue;
      }
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (m.value().is_string()) out.metadata[m.key()] = m.value().get<std::string>();
        else problems.push_back("__metadata__ value '" + m.key() + "' is not a string");
      }
      continue;
    }
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets")) {
      problems.push_back("'" + key + "' lacks dtype, shape or data_offsets");
      continue;
    }
    Entry e;
    e.name = key;
    const auto& dt = v["dtype"];
    auto type = dt.is_string() ? dtype_from_safetensors(dt.get<std::string>()) : std::nullopt;
    if (!type) {
      problems.push_back("'" + key + "' has unknown dtype " + dt.dump());
      continue;
    }
    e.type = *type;
    bool shape_ok = v["shape"].is_array();
    if (shape_ok) {
      for (const auto& s : v["shape"]) {
        if (!s.is_number_unsigned()) { shape_ok = false; break; }
        const auto dim = s.get<std::uint64_t>();
        if (dim > (1ull << 62)) { shape_ok = false; break; }
        e.shape.push_back(static_cast<int64_t>(dim));
      }
    }
    const auto& off = v["data_offsets"];
    if (!shape_ok || !off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
        !off[1].is_number_unsigned()) {
      problems.push_back("'" + key + "' has a malformed shape or data_offsets");
      continue;
    }
    e.begin = off[0].get<std::uint64_t>();
    e.end = off[1].get<std::uint64_t>();
    const auto numel = checked_numel(e.shape);
    const std::uint64_t element = c10::elementSize(e.type);
    // Strides multiply every dimension (a zero one counts as 1): they must fit too.
    int64_t stride_product = 1;
    bool strides_fit = true;
    for (int64_t dim : e.shape)
      strides_fit &= !__builtin_mul_overflow(stride_product, std::max<int64_t>(dim, 1), &stride_product);
    if (!numel || !strides_fit || static_cast<std::uint64_t>(*numel) > (~0ull) / element) {
      problems.push_back("'" + key + "' has an impossibly large shape");
      continue;
    }
    if (e.begin > e.end || e.end > data_size) {
      problems.push_back("'" + key + "' data_offsets [" + std::to_string(e.begin) + ", " +
                         std::to_string(e.end) + "] lie outside the " + std::to_string(data_size) +
                         "-byte data section");
      continue;
    }
    if (e.end - e.begin != static_cast<std::uint64_t>(*numel) * element) {
      problems.push_back("'" + key + "' spans " + std::to_string(e.end - e.begin) +
                         " bytes but its shape and dtype need " +
                         std::to_string(static_cast<std::uint64_t>(*numel) * element));
      continue;
    }
    entries.push_back(std::move(e));
  }

  std::vector<const Entry*> by_offset;
  for (const auto& e : entries) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const Entry* a, const Entry* b) { return a->begin < b->begin; });
  for (std::size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i]->begin < by_offset[i - 1]->end)
      problems.push_back("'" + by_offset[i]->name + "' overlaps '" + by_offset[i - 1]->name + "'");
  }
  if (!problems.empty()) {
    std::string msg;
    for (const auto& p : problems) msg += "\n  - " + p;
    throw bad(std::to_string(problems.size()) + " problem(s):" + msg);
  }

  // File order: sort by data offset, which is the order writers lay tensors out in.
  for (const Entry* e : by_offset) {
    std::vector<int64_t> strides(e->shape.size(), 1);
    for (int i = static_cast<int>(e->shape.size()) - 2; i >= 0; --i)
      strides[i] = strides[i + 1] * std::max<int64_t>(e->shape[i + 1], 1);
    out.tensors.push_back({e->name, tensor_over(file, data + e->begin, e->shape, strides, e->type)});
  }
  return out;
}

void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> seen;
  std::vector<torch::Tensor> blobs;
  std::uint64_t offset = 0;
  for (const auto& nt : tensors) {
    if (!seen.insert(nt.name).second)
      throw Error(ErrorKind::InvalidInput, path + ": duplicate tensor name '" + nt.name + "'");
    torch::Tensor t = nt.tensor.detach().to(torch::kCPU).contiguous();
    if (!dtype_from_safetensors(dtype_to_safetensors(t.scalar_type())))
      throw Error(ErrorKind::InvalidInput,
                  path + ": tensor '" + nt.name + "' has dtype " + dtype_name(t.scalar_type()) +
                      " which safetensors cannot store");
    const std::uint64_t bytes = t.numel() * t.element_size();
    header[nt.name] = {{"dtype", dtype_to_safetensors(t.scalar_type())},
                       {"shape", t.sizes().vec()},
                       {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    blobs.push_back(t);
  }
  std::string json = header.dump();
  while ((json.size() + 8) % 8 != 0) json.push_back(' ');  // keeps data 8-byte aligned

  AtomicFile out(path);
  std::uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<std::uint8_t>((json.size() >> (8 * i)) & 0xff);
  out.write(len, 8);
  out.write(json.data(), json.size());
  for (const auto& t : blobs) out.write(t.data_ptr(), t.numel() * t.element_size());
  out.commit();
}

}  // namespace bd::io
