// Engine snapshots, kept in their own LMDB environment beside the journal.
//
//   "snapshots": seq (u64 integer key) → u64 state digest | engine snapshot bytes
//
// Contract: put() stores the engine's state as of `seq` durably and keeps the newest
// `keep` snapshots (snapshots are a cache of the journal, which is never pruned). latest()
// returns the newest one. A snapshot's digest is checked by recovery, not here.
// Threading: one writer thread (put); readers from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auction/engine/status.h"
#include "auction/engine/types.h"

namespace auction::persistence {

struct StoredSnapshot {
  Seq seq = 0;
  std::uint64_t digest = 0;
  std::string bytes;
};

class SnapshotStore {
 public:
  static Status open(const std::string& directory, bool read_only,
                     std::unique_ptr<SnapshotStore>& out);
  ~SnapshotStore();
  SnapshotStore(const SnapshotStore&) = delete;
  SnapshotStore& operator=(const SnapshotStore&) = delete;

  Status put(Seq seq, std::uint64_t digest, std::string_view bytes, std::size_t keep = 3);
  // The newest snapshot, or the newest one at or before `at_or_before`; none if there is none.
  Status latest(std::optional<StoredSnapshot>& out, Seq at_or_before = ~Seq{0}) const;
  std::vector<Seq> list() const;

 private:
  SnapshotStore() = default;
  void* env_ = nullptr;
  unsigned dbi_ = 0;
  bool read_only_ = false;
};

}  // namespace auction::persistence
