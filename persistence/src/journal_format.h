// Private: the byte layout of journal segment files, as pure functions over bytes (no I/O), so
// the journal, its tests and the fuzz target share one definition.
//
// A segment file `segment-<first seq, 20 digits>.log` is created at its full size and zero-filled
// (so that writing a batch later changes no file metadata and one fdatasync makes it durable).
// It holds a 64-byte header, then batches of 8-byte-aligned frames, then zeros:
//
//   segment header: "AUCJSEG1" | u32 format | u32 header bytes | u64 first seq | u64 checksum | 0…
//   frame:          u64 seq | u32 body bytes | u16 kind | u16 0 | u64 checksum | body | 0-pad to 8
//   batch:          record frame… mark frame… commit frame
//
// - A record frame's body is one encoded record (record_codec.h, which checksums it itself, so a
//   damaged record is named by its seq); its frame checksum covers the header only.
// - A mark frame's body is the 32-byte chain digest after the record `seq` (see JournalBatch).
// - A commit frame (seq = the batch's last seq) ends a batch: first seq, the batch's bytes before
//   the commit frame, the XXH3 of those bytes, and the chain digest after the last record. Mark
//   and commit checksums cover the header and the body.
// Only batches whose commit frame is intact exist for readers; a batch cut short by a crash has no
// commit frame (it was never acknowledged: acknowledgements wait for its fdatasync).
// Threading: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auction/engine/types.h"
#include "auction/persistence/chain_digest.h"

namespace auction::persistence::journal_format {

constexpr std::uint32_t kFormat = 1;
constexpr std::size_t kSegmentHeaderBytes = 64;
constexpr std::size_t kFrameHeaderBytes = 24;
// A record is far smaller (a command); the cap keeps a damaged length from reading far away.
constexpr std::size_t kMaxBodyBytes = std::size_t{1} << 20;

enum class FrameKind : std::uint16_t { record = 1, mark = 2, commit = 3 };

struct Commit {
  Seq first_seq = 0;
  Seq last_seq = 0;
  std::uint64_t batch_bytes = 0;     // bytes of the batch's frames before the commit frame
  std::uint64_t batch_checksum = 0;  // XXH3 of those bytes
  Digest256 chain_after{};
};

struct Frame {
  FrameKind kind = FrameKind::record;
  Seq seq = 0;
  std::string_view body;
  std::size_t bytes = 0;  // the whole frame, padding included
};

// Bytes a frame with `body_bytes` of body takes.
constexpr std::size_t frame_bytes(std::size_t body_bytes) {
  return kFrameHeaderBytes + ((body_bytes + 7) & ~std::size_t{7});
}
constexpr std::size_t kMarkFrameBytes = frame_bytes(32);
constexpr std::size_t kCommitFrameBytes = frame_bytes(8 + 8 + 8 + 32);

std::string segment_name(Seq first_seq);
// The first seq named by a segment file name, or nullopt for any other name.
std::optional<Seq> parse_segment_name(std::string_view file_name);

void append_segment_header(Seq first_seq, std::string& out);
// The segment's first seq, or nullopt when `bytes` does not start with a valid header.
std::optional<Seq> read_segment_header(std::string_view bytes);

void append_record(Seq seq, std::string_view record, std::string& out);
void append_mark(Seq seq, const Digest256& digest, std::string& out);
// Appends the commit frame of the batch that starts at out[batch_begin].
void append_commit(Seq first_seq, Seq last_seq, const Digest256& chain_after,
                   std::size_t batch_begin, std::string& out);

// The frame at bytes[offset], or nullopt if there is none there: zeros (the end of what was
// written), a damaged header, or a frame that runs past the end.
std::optional<Frame> read_frame(std::string_view bytes, std::size_t offset);
std::optional<Commit> read_commit(const Frame& frame);
std::optional<Digest256> read_mark(const Frame& frame);
// XXH3 of a batch's bytes before its commit frame (what Commit::batch_checksum holds).
std::uint64_t batch_checksum(std::string_view batch_bytes);

}  // namespace auction::persistence::journal_format
