#include "io/zip_archive.h"

#include <zlib.h>

#include <cstring>

#include "bd/error.h"

namespace bd::io {

namespace {

constexpr std::uint32_t kEndOfCentralDir = 0x06054b50;
constexpr std::uint32_t kZip64Locator = 0x07064b50;
constexpr std::uint32_t kZip64EndOfCentralDir = 0x06064b50;
constexpr std::uint32_t kCentralHeader = 0x02014b50;
constexpr std::uint32_t kLocalHeader = 0x04034b50;

// Bounds-checked little-endian reads over the mapping.
class Cursor {
 public:
  Cursor(const MappedFile& f, std::uint64_t pos) : f_(&f), pos_(pos) {}
  bool has(std::uint64_t n) const { return pos_ <= f_->size() && n <= f_->size() - pos_; }
  std::uint64_t le(int bytes) {
    if (!has(bytes)) throw Error(ErrorKind::ModelFiles, f_->path() + ": ZIP structure runs past the end of the file (truncated?)");
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | f_->data()[pos_ + i];
    pos_ += bytes;
    return v;
  }
  std::uint16_t u16() { return static_cast<std::uint16_t>(le(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(le(4)); }
  std::uint64_t u64() { return le(8); }
  std::string str(std::uint64_t n) {
    if (!has(n)) throw Error(ErrorKind::ModelFiles, f_->path() + ": ZIP entry name runs past the end of the file");
    std::string s(reinterpret_cast<const char*>(f_->data() + pos_), n);
    pos_ += n;
    return s;
  }
  void skip(std::uint64_t n) { pos_ += n; }
  std::uint64_t pos() const { return pos_; }

 private:
  const MappedFile* f_;
  std::uint64_t pos_;
};

}  // namespace

bool ZipArchive::looks_like_zip(const std::uint8_t* data, std::size_t size) {
  return size >= 4 && data[0] == 'P' && data[1] == 'K' && data[2] == 3 && data[3] == 4;
}

ZipArchive::ZipArchive(std::shared_ptr<MappedFile> file) : file_(std::move(file)) {
  const MappedFile& f = *file_;
  auto bad = [&](const std::string& what) {
    return Error(ErrorKind::ModelFiles, f.path() + ": invalid ZIP archive: " + what);
  };
  if (f.size() < 22) throw bad("file is too short (" + std::to_string(f.size()) + " bytes)");

  // The end record sits in the last 22 + 65535 bytes (a comment may follow it).
  std::uint64_t eocd = 0;
  bool found = false;
  const std::uint64_t lowest = f.size() >= 22 + 65535 ? f.size() - 22 - 65535 : 0;
  for (std::uint64_t p = f.size() - 22 + 1; p-- > lowest;) {
    if (Cursor(f, p).u32() == kEndOfCentralDir) {
      eocd = p;
      found = true;
      break;
    }
  }
  if (!found) throw bad("no end-of-central-directory record (truncated file?)");

  Cursor c(f, eocd + 8);
  c.u16();  // entries on this disk (multi-disk archives are not a thing here)
  std::uint64_t count = c.u16();
  std::uint64_t cd_size = c.u32();
  std::uint64_t cd_offset = c.u32();
  if (eocd >= 20 && Cursor(f, eocd - 20).u32() == kZip64Locator) {
    Cursor loc(f, eocd - 20 + 8);
    const std::uint64_t z64 = loc.u64();
    Cursor r(f, z64);
    if (r.u32() != kZip64EndOfCentralDir) throw bad("ZIP64 end record not where its locator says");
    r.skip(8 + 2 + 2 + 4 + 4 + 8);
    count = r.u64();
    cd_size = r.u64();
    cd_offset = r.u64();
  }
  if (cd_offset > f.size() || cd_size > f.size() - cd_offset)
    throw bad("central directory lies outside the file (truncated?)");
  if (count > cd_size / 46 + 1) throw bad("entry count " + std::to_string(count) + " does not fit the central directory");

  Cursor cd(f, cd_offset);
  for (std::uint64_t i = 0; i < count; ++i) {
    if (cd.u32() != kCentralHeader) throw bad("central directory entry " + std::to_string(i) + " has a bad signature");
    cd.skip(2 + 2);
    const std::uint16_t flags = cd.u16();
    Entry e;
    e.method = cd.u16();
    cd.skip(2 + 2 + 4);
    e.compressed = cd.u32();
    e.uncompressed = cd.u32();
    const std::uint16_t name_len = cd.u16();
    const std::uint16_t extra_len = cd.u16();
    const std::uint16_t comment_len = cd.u16();
    cd.skip(2 + 2 + 4);
    e.local_header = cd.u32();
    std::string name = cd.str(name_len);
    const std::uint64_t extra_end = cd.pos() + extra_len;
    while (cd.pos() + 4 <= extra_end) {
      const std::uint16_t id = cd.u16();
      const std::uint16_t len = cd.u16();
      const std::uint64_t next = cd.pos() + len;
      if (id == 0x0001) {  // ZIP64 sizes: present only for fields saturated at 0xffffffff
        if (e.uncompressed == 0xffffffffu && cd.pos() + 8 <= next) e.uncompressed = cd.u64();
        if (e.compressed == 0xffffffffu && cd.pos() + 8 <= next) e.compressed = cd.u64();
        if (e.local_header == 0xffffffffu && cd.pos() + 8 <= next) e.local_header = cd.u64();
      }
      cd = Cursor(f, next);
    }
    cd = Cursor(f, extra_end + comment_len);
    if (flags & 0x1) throw bad("entry '" + name + "' is encrypted");
    if (e.method != 0 && e.method != 8)
      throw bad("entry '" + name + "' uses compression method " + std::to_string(e.method) + " (only stored and deflate are supported)");
    if (entries_.emplace(name, e).second) names_.push_back(name);
  }
}

std::uint64_t ZipArchive::uncompressed_size(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? 0 : it->second.uncompressed;
}

ByteSpan ZipArchive::read(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end())
    throw Error(ErrorKind::ModelFiles, path() + ": archive has no entry '" + name + "'");
  const Entry& e = it->second;
  auto bad = [&](const std::string& what) {
    return Error(ErrorKind::ModelFiles, path() + ": ZIP entry '" + name + "' " + what);
  };
  Cursor c(*file_, e.local_header);
  if (c.u32() != kLocalHeader) throw bad("has a bad local header signature");
  c.skip(2 + 2 + 2 + 2 + 2 + 4 + 4 + 4);
  const std::uint16_t name_len = c.u16();
  const std::uint16_t extra_len = c.u16();
  const std::uint64_t start = c.pos() + name_len + extra_len;
  if (start > file_->size() || e.compressed > file_->size() - start)
    throw bad("runs past the end of the file (truncated?)");
  const std::uint8_t* p = file_->data() + start;
  if (e.method == 0) {
    if (e.compressed != e.uncompressed) throw bad("is stored but its sizes differ");
    return {p, static_cast<std::size_t>(e.uncompressed), file_};
  }
  // Deflate expands at most ~1032:1, so a larger claim is a lie that would make us
  // allocate the claimed size before finding out.
  if (e.uncompressed > (std::uint64_t{1} << 40) || e.uncompressed / 1032 > e.compressed + 1)
    throw bad("claims an impossible uncompressed size (" + std::to_string(e.uncompressed) + " bytes from " +
              std::to_string(e.compressed) + ")");
  auto buffer = std::make_shared<std::vector<std::uint8_t>>(e.uncompressed);
  if (e.uncompressed == 0) return {buffer->data(), 0, buffer};
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) throw bad("cannot start zlib");
  zs.next_in = const_cast<std::uint8_t*>(p);
  zs.avail_in = static_cast<uInt>(std::min<std::uint64_t>(e.compressed, 0xffffffffu));
  zs.next_out = buffer->data();
  zs.avail_out = static_cast<uInt>(std::min<std::uint64_t>(e.uncompressed, 0xffffffffu));
  const int rc = inflate(&zs, Z_FINISH);
  const std::uint64_t produced = zs.total_out;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || produced != e.uncompressed) throw bad("is corrupt (deflate stream)");
  return {buffer->data(), buffer->size(), buffer};
}

}  // namespace bd::io
