// An auction data directory opened read-only for analysis: the engine journal, its snapshots
// and, when present, the settlement store. Works on a live server's directory (LMDB readers never
// block the writer and see committed data only) and on a copy, also on read-only media.
//
// Contract: open() returns a clear error, naming the directory, for a missing directory, one
// that is not an auction data directory (no journal/), or a journal it cannot read. Snapshots
// and settlement are optional: an absent store is a null pointer, not an error.
// Threading: the handles' readers may be used from any thread.
#pragma once

#include <memory>
#include <string>

#include "auction/engine/limits.h"
#include "auction/engine/status.h"
#include "auction/persistence/journal.h"
#include "auction/persistence/settlement_store.h"
#include "auction/persistence/snapshot_store.h"

namespace auction::replay {

struct DataDir {
  std::string path;
  std::unique_ptr<persistence::Journal> journal;
  std::unique_ptr<persistence::SnapshotStore> snapshots;     // null when there are none
  std::unique_ptr<persistence::SettlementStore> settlement;  // null when there is none
  // auctiond runs its engine with the default limits; a replay must use the same ones.
  EngineLimits limits;

  static Status open(const std::string& path, DataDir& out);
};

}  // namespace auction::replay
