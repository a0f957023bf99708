// Rebuilding the engine from durable state: the newest snapshot plus the journal after it.
//
// Contract: recover() leaves `engine` exactly as it was after the last journaled command, or
// returns an error that names the offending record and changes nothing on disk:
//   - a snapshot whose digest does not match the state it restores, or that is ahead of the
//     journal;
//   - a journal record that fails its checksum or does not decode;
//   - a gap (or repeat) in sequence numbers, or a timestamp that goes backwards.
// Recovery does not apply the outage rule: the pipeline journals a Restart command afterwards.
// Threading: runs on the calling thread; the journal may be open for writing elsewhere.
#pragma once

#include "auction/engine/engine.h"
#include "auction/persistence/journal.h"
#include "auction/persistence/snapshot_store.h"

namespace auction::persistence {

struct RecoveryReport {
  Seq snapshot_seq = 0;  // 0 = started from an empty engine
  Seq last_seq = 0;
  std::uint64_t replayed_commands = 0;
  double elapsed_ms = 0;
};

// `engine` must be freshly constructed. `snapshots` may be null (replay the whole journal).
// `tail_events`, if given, receives the events of the commands replayed after the snapshot.
Status recover(Engine& engine, const Journal& journal, const SnapshotStore* snapshots,
               RecoveryReport& report, EventSink* tail_events = nullptr);

// Applies journal records after engine.last_seq() up to `to_seq` (inclusive) to `engine`,
// emitting the engine's events into `sink` (may be null). The same checks as recover().
Status replay_journal(Engine& engine, const Journal& journal, Seq to_seq, EventSink* sink,
                      std::uint64_t& replayed);

}  // namespace auction::persistence
