// What one message of the shard's stream holds (after its genesis record, sequence 1): a fence
// that starts a leadership, or the journal batches of one group commit.
//
//   record  := kind body xxh64(kind body)            (the checksum little-endian, 8 bytes)
//   fence   := 'F' term:u64 node:(u16 length, bytes)
//   batches := 'B' count:u32 batch*                  (batches in sequence order)
//   batch   := last_seq:u64 chain_after:32 records:u32 (length:u32 bytes)* marks:u32 (seq:u64
//   digest:32)*
//
// Contract: decode_stream_record() accepts exactly what the encoders produce and otherwise
// returns a `corruption` Status naming what is wrong; it never reads past the payload.
// Threading: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auction/engine/status.h"
#include "auction/persistence/journal_backend.h"

namespace auction::cluster {

struct Fence {
  std::uint64_t term = 0;  // the lease revision the leader took
  std::string node;
};

struct StreamBatch {
  Seq last_seq = 0;
  persistence::Digest256 chain_after{};
  std::vector<std::string> records;  // encoded journal records, consecutive seqs
  std::vector<persistence::ChainPoint> marks;
};

using StreamRecord = std::variant<Fence, std::vector<StreamBatch>>;

std::string encode_fence(const Fence& fence);
// Builds a batches record: begin, one append per journal batch, then finish (the checksum).
void begin_batches(std::string& out);
void append_batch(std::string& out, const persistence::JournalBatch& batch);
void finish_batches(std::string& out);

Status decode_stream_record(std::string_view payload, StreamRecord& out);

}  // namespace auction::cluster
