#include "journal_format.h"

#include <xxhash.h>

#include <bit>
#include <charconv>
#include <cstring>

namespace auction::persistence::journal_format {
namespace {

static_assert(std::endian::native == std::endian::little, "the journal is little-endian");

constexpr std::string_view kSegmentMagic = "AUCJSEG1";
constexpr std::string_view kNamePrefix = "segment-";
constexpr std::string_view kNameSuffix = ".log";
constexpr std::size_t kSeqDigits = 20;

template <typename T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

template <typename T>
T get(std::string_view bytes, std::size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

void pad_to_8(std::string& out) {
  out.append((8 - out.size() % 8) % 8, '\0');
}

// The checksum of a frame: its header's first 16 bytes, and its body unless it is a record
// (records carry their own checksum).
std::uint64_t frame_checksum(std::string_view header16, FrameKind kind, std::string_view body) {
  const XXH64_hash_t header = XXH3_64bits(header16.data(), header16.size());
  if (kind == FrameKind::record) return header;
  return XXH3_64bits_withSeed(body.data(), body.size(), header);
}

void append_frame(FrameKind kind, Seq seq, std::string_view body, std::string& out) {
  const std::size_t begin = out.size();
  put<std::uint64_t>(out, seq);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(body.size()));
  put<std::uint16_t>(out, static_cast<std::uint16_t>(kind));
  put<std::uint16_t>(out, 0);
  const std::string_view header16(out.data() + begin, 16);
  put<std::uint64_t>(out, frame_checksum(header16, kind, body));
  out.append(body);
  pad_to_8(out);
}

}  // namespace

std::string segment_name(Seq first_seq) {
  std::string digits = std::to_string(first_seq);
  return std::string(kNamePrefix) + std::string(kSeqDigits - digits.size(), '0') + digits +
         std::string(kNameSuffix);
}

std::optional<Seq> parse_segment_name(std::string_view name) {
  if (name.size() != kNamePrefix.size() + kSeqDigits + kNameSuffix.size() ||
      !name.starts_with(kNamePrefix) || !name.ends_with(kNameSuffix)) {
    return std::nullopt;
  }
  const std::string_view digits = name.substr(kNamePrefix.size(), kSeqDigits);
  Seq seq = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  return seq;
}

void append_segment_header(Seq first_seq, std::string& out) {
  const std::size_t begin = out.size();
  out.append(kSegmentMagic);
  put<std::uint32_t>(out, kFormat);
  put<std::uint32_t>(out, kSegmentHeaderBytes);
  put<std::uint64_t>(out, first_seq);
  put<std::uint64_t>(out, XXH3_64bits(out.data() + begin, out.size() - begin));
  out.append(kSegmentHeaderBytes - (out.size() - begin), '\0');
}

std::optional<Seq> read_segment_header(std::string_view bytes) {
  constexpr std::size_t kChecked = 8 + 4 + 4 + 8;
  if (bytes.size() < kSegmentHeaderBytes || !bytes.starts_with(kSegmentMagic) ||
      get<std::uint32_t>(bytes, 8) != kFormat ||
      get<std::uint32_t>(bytes, 12) != kSegmentHeaderBytes ||
      get<std::uint64_t>(bytes, kChecked) != XXH3_64bits(bytes.data(), kChecked)) {
    return std::nullopt;
  }
  return get<Seq>(bytes, 16);
}

void append_record(Seq seq, std::string_view record, std::string& out) {
  append_frame(FrameKind::record, seq, record, out);
}

void append_mark(Seq seq, const Digest256& digest, std::string& out) {
  append_frame(FrameKind::mark, seq,
               std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()), out);
}

void append_commit(Seq first_seq, Seq last_seq, const Digest256& chain_after,
                   std::size_t batch_begin, std::string& out) {
  const std::uint64_t words[3] = {first_seq, out.size() - batch_begin,
                                  batch_checksum(std::string_view(out).substr(batch_begin))};
  char body[sizeof(words) + 32];  // no allocation per batch
  std::memcpy(body, words, sizeof(words));
  std::memcpy(body + sizeof(words), chain_after.data(), 32);
  append_frame(FrameKind::commit, last_seq, std::string_view(body, sizeof(body)), out);
}

std::optional<Frame> read_frame(std::string_view bytes, std::size_t offset) {
  if (offset % 8 != 0 || offset > bytes.size() || bytes.size() - offset < kFrameHeaderBytes) {
    return std::nullopt;
  }
  const std::string_view header = bytes.substr(offset, kFrameHeaderBytes);
  const std::uint32_t body_bytes = get<std::uint32_t>(header, 8);
  const std::uint16_t kind = get<std::uint16_t>(header, 12);
  if (kind < 1 || kind > 3 || get<std::uint16_t>(header, 14) != 0 || body_bytes > kMaxBodyBytes ||
      bytes.size() - offset < frame_bytes(body_bytes)) {
    return std::nullopt;
  }
  Frame frame{static_cast<FrameKind>(kind), get<Seq>(header, 0),
              bytes.substr(offset + kFrameHeaderBytes, body_bytes), frame_bytes(body_bytes)};
  if (get<std::uint64_t>(header, 16) !=
      frame_checksum(header.substr(0, 16), frame.kind, frame.body))
    return std::nullopt;
  return frame;
}

std::optional<Commit> read_commit(const Frame& frame) {
  if (frame.kind != FrameKind::commit || frame.body.size() != 8 + 8 + 8 + 32) return std::nullopt;
  Commit commit;
  commit.last_seq = frame.seq;
  commit.first_seq = get<Seq>(frame.body, 0);
  commit.batch_bytes = get<std::uint64_t>(frame.body, 8);
  commit.batch_checksum = get<std::uint64_t>(frame.body, 16);
  std::memcpy(commit.chain_after.data(), frame.body.data() + 24, 32);
  return commit;
}

std::optional<Digest256> read_mark(const Frame& frame) {
  if (frame.kind != FrameKind::mark || frame.body.size() != 32) return std::nullopt;
  Digest256 digest;
  std::memcpy(digest.data(), frame.body.data(), 32);
  return digest;
}

std::uint64_t batch_checksum(std::string_view batch_bytes) {
  return XXH3_64bits(batch_bytes.data(), batch_bytes.size());
}

}  // namespace auction::persistence::journal_format
