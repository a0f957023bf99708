// Where the pipeline's writer puts journal records: stage a batch, then make it durable.
//
// Contract: write() stages records (consecutive sequence numbers, in order) without making them
// durable; sync() makes everything staged so far durable (fsync) before it returns ok. After a
// failed write() or sync() the staged records are discarded and nothing of them may be assumed
// durable. A Status with Code::full means the journal has no room (the rest of the system may
// keep serving reads). Threading: one writer thread calls write() and sync().
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "auction/engine/status.h"
#include "auction/engine/types.h"
#include "auction/persistence/chain_digest.h"

namespace auction::persistence {

// The chain digest after one record.
struct ChainPoint {
  Seq seq = 0;
  Digest256 digest{};
};

struct JournalBatch {
  std::span<const std::string_view> records;  // encoded records, consecutive seqs
  Seq last_seq = 0;
  Digest256 chain_after{};  // the chain digest after the last record
  // Chain digests kept for later lookup (the records that closed a lot: a transaction
  // confirmation quotes them), written in the same transaction as the records.
  std::span<const ChainPoint> marks;
};

class JournalBackend {
 public:
  virtual ~JournalBackend() = default;
  virtual Status write(const JournalBatch& batch) = 0;
  virtual Status sync() = 0;
  // Room left for records; the pipeline refuses new commands when it runs low.
  virtual std::size_t free_bytes() const { return SIZE_MAX; }
  // Makes room (a larger capacity). Called between batches by the writer thread.
  virtual Status grow(std::size_t /*capacity_bytes*/) {
    return Status::error(Status::Code::invalid_argument, "this journal cannot grow");
  }
};

}  // namespace auction::persistence
