#include "auction/cluster/stream_record.h"

#include <xxhash.h>

#include <cstring>

namespace auction::cluster {
namespace {

constexpr std::size_t kChecksumBytes = 8;
constexpr std::size_t kCountOffset = 1;  // a batches record's count follows its kind byte

template <class T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i)
    bytes[i] = static_cast<char>((static_cast<std::uint64_t>(value) >> (8 * i)) & 0xFF);
  out.append(bytes, sizeof(T));
}

void put_checksum(std::string& out) {
  put<std::uint64_t>(out, XXH64(out.data(), out.size(), 0));
}

// Reads little-endian values and byte runs from a payload, never past its end.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  template <class T>
  bool get(T& value) {
    if (bytes_.size() < sizeof(T)) return false;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes_[i])) << (8 * i);
    value = static_cast<T>(v);
    bytes_.remove_prefix(sizeof(T));
    return true;
  }
  bool take(std::size_t n, std::string_view& out) {
    if (bytes_.size() < n) return false;
    out = bytes_.substr(0, n);
    bytes_.remove_prefix(n);
    return true;
  }
  bool digest(persistence::Digest256& out) {
    std::string_view bytes;
    if (!take(out.size(), bytes)) return false;
    std::memcpy(out.data(), bytes.data(), out.size());
    return true;
  }
  bool done() const { return bytes_.empty(); }
  std::size_t left() const { return bytes_.size(); }

 private:
  std::string_view bytes_;
};

Status damaged(const std::string& what) {
  return Status::error(Status::Code::corruption, "stream record: " + what);
}

bool read_batch(Reader& in, StreamBatch& batch) {
  std::uint32_t records = 0, marks = 0;
  if (!in.get(batch.last_seq) || !in.digest(batch.chain_after) || !in.get(records)) return false;
  if (records > in.left() / 4) return false;  // each record needs its length at least
  batch.records.reserve(records);
  for (std::uint32_t i = 0; i < records; ++i) {
    std::uint32_t length = 0;
    std::string_view bytes;
    if (!in.get(length) || !in.take(length, bytes)) return false;
    batch.records.emplace_back(bytes);
  }
  if (!in.get(marks) || marks > in.left() / 40) return false;
  batch.marks.resize(marks);
  for (persistence::ChainPoint& mark : batch.marks) {
    if (!in.get(mark.seq) || !in.digest(mark.digest)) return false;
  }
  return true;
}

}  // namespace

std::string encode_fence(const Fence& fence) {
  std::string out = "F";
  put<std::uint64_t>(out, fence.term);
  put<std::uint16_t>(out, static_cast<std::uint16_t>(fence.node.size()));
  out += fence.node;
  put_checksum(out);
  return out;
}

void begin_batches(std::string& out) {
  out.assign("B");
  put<std::uint32_t>(out, 0);
}

void append_batch(std::string& out, const persistence::JournalBatch& batch) {
  std::uint32_t count = 0;
  std::memcpy(&count, out.data() + kCountOffset, sizeof(count));  // little-endian hosts only
  ++count;
  std::memcpy(out.data() + kCountOffset, &count, sizeof(count));
  put<std::uint64_t>(out, batch.last_seq);
  out.append(reinterpret_cast<const char*>(batch.chain_after.data()), batch.chain_after.size());
  put<std::uint32_t>(out, static_cast<std::uint32_t>(batch.records.size()));
  for (const std::string_view record : batch.records) {
    put<std::uint32_t>(out, static_cast<std::uint32_t>(record.size()));
    out += record;
  }
  put<std::uint32_t>(out, static_cast<std::uint32_t>(batch.marks.size()));
  for (const persistence::ChainPoint& mark : batch.marks) {
    put<std::uint64_t>(out, mark.seq);
    out.append(reinterpret_cast<const char*>(mark.digest.data()), mark.digest.size());
  }
}

void finish_batches(std::string& out) {
  put_checksum(out);
}

Status decode_stream_record(std::string_view payload, StreamRecord& out) {
  if (payload.size() < 1 + kChecksumBytes) return damaged("too short");
  const std::string_view body = payload.substr(0, payload.size() - kChecksumBytes);
  Reader tail(payload.substr(body.size()));
  std::uint64_t checksum = 0;
  (void)tail.get(checksum);
  if (checksum != XXH64(body.data(), body.size(), 0)) return damaged("checksum mismatch");
  Reader in(body.substr(1));
  if (body[0] == 'F') {
    Fence fence;
    std::uint16_t length = 0;
    std::string_view node;
    if (!in.get(fence.term) || !in.get(length) || !in.take(length, node) || !in.done()) {
      return damaged("a fence that does not parse");
    }
    fence.node = std::string(node);
    out = std::move(fence);
    return Status::ok();
  }
  if (body[0] != 'B') return damaged("unknown kind");
  std::uint32_t count = 0;
  if (!in.get(count)) return damaged("no batch count");
  std::vector<StreamBatch> batches(count <= in.left() / 48 ? count : 0);
  if (batches.size() != count) return damaged("more batches than bytes");
  for (StreamBatch& batch : batches) {
    if (!read_batch(in, batch)) return damaged("a batch cut short");
  }
  if (!in.done()) return damaged("bytes after the last batch");
  out = std::move(batches);
  return Status::ok();
}

}  // namespace auction::cluster
