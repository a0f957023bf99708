// The command journal: append-only segment files of sequenced command records, one fdatasync
// per group commit.
//
// Why not LMDB (which keeps snapshots, settlement and accounts): an LMDB commit flushes twice in
// series (data pages, then the meta page) and grows its file, about 0.5 ms here; a batch written
// into a zero-filled, preallocated segment needs one fdatasync (about 0.13 ms), and the journal's
// commit time bounds every acknowledgement (bench/RESULTS.md, issue 8).
//
// Layout of a journal directory (byte layout in persistence/src/journal_format.h):
//   segment-<first seq, 20 digits>.log   batches of records, marks and a commit frame each
//   spare.tmp                            the next segment, zero-filled ahead by a helper thread
//   unfinished-<seq>-<offset>.bin        bytes of a batch cut short by a crash, kept for study
//   LOCK                                 flock'd by the one process that writes
//
// Contract:
//   - write() stages a batch (sequence numbers above every earlier one, in order); sync() writes
//     it with its commit frame and returns after one fdatasync. Only then do readers see it.
//   - A batch is all or nothing: a crash before its fdatasync leaves no commit frame, and opening
//     the journal for writing moves the unfinished bytes to unfinished-*.bin (never acknowledged:
//     acknowledgements wait for sync()) and zeroes them.
//   - A damaged batch that is followed by intact ones is corruption: open() refuses, naming the
//     segment, the offset and the seqs. A damaged record inside an intact-looking batch is named
//     by its seq when it is decoded (record_codec.h checksums every record).
//   - One writing process at a time: a second open for writing is refused (Code::unavailable).
//   - Nothing is ever deleted: old records stay readable for analysts.
//   - At most `capacity_bytes` of frames (Code::full beyond, nothing written); grow() raises it.
//   - A read-only Journal works on a copy or beside a running writer: each read first picks up
//     the batches committed since (the writer's staged, unsynced bytes are never shown in the
//     writer's own process; another process may see a batch between its write and its fdatasync).
// Threading: write(), sync() and grow() from one writer thread; readers (scan, last_seq, chain,
// mark, space) from any thread, concurrently with the writer; a scan never blocks the writer.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "auction/engine/status.h"
#include "auction/persistence/journal_backend.h"

namespace auction::persistence {

struct JournalOptions {
  std::string directory;
  std::size_t capacity_bytes = std::size_t{8} << 30;  // the most its frames may take
  bool read_only = false;
  // Size of each segment file; 0 = capacity / 8, within [1 MiB, 64 MiB] and at most capacity.
  std::size_t segment_bytes = 0;
};

struct JournalSpace {
  std::size_t used_bytes = 0;
  std::size_t capacity_bytes = 0;
  // What the disk can still take: the unwritten rest of the current segment plus the file
  // system's free space (SIZE_MAX when unknown). A full disk stops the journal before its
  // configured capacity does.
  std::size_t disk_free_bytes = SIZE_MAX;
  std::size_t free_bytes() const {
    const std::size_t capacity_free = capacity_bytes > used_bytes ? capacity_bytes - used_bytes : 0;
    return std::min(capacity_free, disk_free_bytes);
  }
};

class Journal final : public JournalBackend {
 public:
  static Status open(const JournalOptions& options, std::unique_ptr<Journal>& out);
  // True when `directory` holds a journal (at least one segment file).
  static bool exists(const std::string& directory);
  ~Journal() override;
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // JournalBackend (writer thread).
  Status write(const JournalBatch& batch) override;
  Status sync() override;
  std::size_t free_bytes() const override { return space().free_bytes(); }
  Status grow(std::size_t capacity_bytes) override;

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
  const std::string& directory() const;
  // Bytes of an unfinished batch that open() set aside (0 when the journal ended cleanly).
  std::size_t unfinished_bytes() const;

  struct State;  // journal.cpp

 private:
  explicit Journal(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace auction::persistence
