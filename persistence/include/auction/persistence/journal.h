// The command journal: an append-only LMDB database of sequenced command records.
//
// Layout of a journal directory (an LMDB environment):
//   "commands": seq (u64, native integer key) → record (see record_codec.h)
//   "meta":     "chain" → u64 seq | 32-byte chain digest after that seq (updated per commit)
//   "marks":    seq (u64) → 32-byte chain digest after that record (the batches' marks: every
//               record that closed a lot, so its transaction confirmation can quote the digest)
//
// Contract:
//   - Appends take consecutive sequence numbers following last_seq(); a batch is one write
//     transaction, made durable by sync() (one LMDB commit: data and meta page fsync'd).
//   - Nothing is ever deleted: old records stay readable for analysts.
//   - A read-only Journal works on a copy or beside a running writer (LMDB MVCC).
//   - grow_map() raises the map size while the journal is open (for a journal that is full).
// Threading: write(), sync() and grow_map() from one writer thread; readers (scan, last_seq,
// space, chain) from any thread, concurrently with the writer.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>

#include "auction/engine/status.h"
#include "auction/persistence/journal_backend.h"

namespace auction::persistence {

struct JournalOptions {
  std::string directory;
  std::size_t map_size_bytes = std::size_t{8} << 30;  // 8 GiB of address space; the file grows
  bool read_only = false;
};

struct JournalSpace {
  std::size_t used_bytes = 0;
  std::size_t map_size_bytes = 0;
  std::size_t free_bytes() const {
    return map_size_bytes > used_bytes ? map_size_bytes - used_bytes : 0;
  }
};

class Journal final : public JournalBackend {
 public:
  static Status open(const JournalOptions& options, std::unique_ptr<Journal>& out);
  ~Journal() override;
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // JournalBackend (writer thread).
  Status write(const JournalBatch& batch) override;
  Status sync() override;
  std::size_t free_bytes() const override { return space().free_bytes(); }
  Status grow(std::size_t map_size_bytes) override { return grow_map(map_size_bytes); }
  Status grow_map(std::size_t map_size_bytes);

  // Readers.
  Seq first_seq() const;     // 0 when empty
  Seq last_seq() const;      // 0 when empty
  ChainPoint chain() const;  // the digest after last_seq() as committed
  // The chain digest after record `seq`, if the writer marked it (see JournalBatch::marks).
  std::optional<Digest256> mark(Seq seq) const;
  JournalSpace space() const;
  // Calls visit(seq, record) for every record with seq ≥ from_seq, in order, until visit returns
  // false. The record bytes are valid only during the call.
  Status scan(Seq from_seq, const std::function<bool(Seq, std::string_view)>& visit) const;
  // Calls visit(seq, digest) for every mark, in sequence order, until visit returns false.
  Status scan_marks(const std::function<bool(Seq, const Digest256&)>& visit) const;
  const std::string& directory() const { return directory_; }

 private:
  Journal() = default;
  Seq edge_seq(bool last) const;

  std::string directory_;
  bool read_only_ = false;
  void* env_ = nullptr;  // MDB_env
  unsigned commands_dbi_ = 0;
  unsigned meta_dbi_ = 0;
  unsigned marks_dbi_ = 0;
  void* write_txn_ = nullptr;  // MDB_txn of the batch being staged
  // Readers share; grow_map() excludes them (LMDB requires no open transaction to resize).
  mutable std::shared_mutex resize_mutex_;
};

}  // namespace auction::persistence
