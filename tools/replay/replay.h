// Re-running the engine over a data directory's journal: the walk every analyst command is
// built on (verify, check, state, export, report).
//
// Contract:
//   - replay() decodes each record (checksum, format), checks sequence continuity and that time
//     never goes backwards, applies it to `engine` and hands the visitor the command, what was
//     recorded for it and what the replay produced. The first bad record stops the walk with an
//     error naming its sequence number; nothing is written anywhere.
//   - With `use_snapshots`, the walk starts from the newest snapshot before `from_seq` (its
//     digest checked) instead of from an empty engine; the visitor sees the same steps either way.
//   - Progress goes to stderr for long runs (see Progress).
// Threading: one thread; the data directory may be written by a live server meanwhile (the walk
// sees the journal as committed when each read began).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auction/engine/engine.h"
#include "auction/persistence/outcome.h"
#include "data_dir.h"

namespace auction::replay {

// "verify: 1,200,000 of 5,000,000 records (24%)" on stderr, at most once a second, from the
// first second on (short runs print nothing).
class Progress {
 public:
  Progress(std::string_view what, std::uint64_t total, bool enabled);
  void update(std::uint64_t done) {
    if (enabled_ && (done & 0xFFFF) == 0) maybe_print(done);
  }
  void finish(std::uint64_t done);

 private:
  void maybe_print(std::uint64_t done);
  std::string what_;
  std::uint64_t total_;
  bool enabled_;
  bool printed_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

struct Step {
  const Command& command;
  std::string_view record;                                      // the record's bytes as journaled
  const std::optional<persistence::RecordedOutcome>& recorded;  // none for format-1 records
  std::span<const Event> events;                                // what the replay produced
  const Engine& engine;                                         // the state after the command
};

struct ReplayOptions {
  Seq from_seq = 1;      // the first step handed to the visitor
  Seq to_seq = ~Seq{0};  // the last record applied (inclusive)
  bool use_snapshots = true;
  Progress* progress = nullptr;
};

// Returns the number of records applied in `applied`. Stops early, with ok, when the visitor
// returns false.
Status replay(const DataDir& dir, const ReplayOptions& options,
              const std::function<bool(const Step&)>& visit, Engine& engine,
              std::uint64_t& applied);

// The last sequence number whose timestamp is ≤ `at_ms` (0 when the journal starts later).
Status seq_at_time(const DataDir& dir, TimeMs at_ms, Seq& out);

// ---- verify: the journal's integrity, without re-running the engine.

struct VerifyReport {
  std::uint64_t records = 0;
  Seq first_seq = 0, last_seq = 0;
  TimeMs first_ts_ms = 0, last_ts_ms = 0;
  std::uint64_t lots = 0;           // distinct lot ids created (or offered for creation)
  std::uint64_t with_outcome = 0;   // format-2 records (a recorded outcome)
  std::uint64_t marks_checked = 0;  // chain digests of closes (transaction confirmations)
  std::uint64_t snapshots_checked = 0;
  std::string chain_hex;  // the chain digest after the last record
};

// Sequence continuity, checksums and formats, time order, the chain digest (against the one
// committed and every mark), and every snapshot (its digest against the state it restores).
Status verify(const DataDir& dir, VerifyReport& report, Progress* progress);

// ---- check: the engine re-run against what was recorded.

struct CheckReport {
  std::uint64_t records = 0;
  std::uint64_t outcomes_compared = 0;   // format-2 records
  std::uint64_t snapshots_compared = 0;  // snapshot digests against the replayed state
  std::uint64_t lots = 0, closed = 0, sold = 0;
  std::uint64_t state_digest = 0;  // the replayed engine's final state digest
  Seq last_seq = 0;
  // The first divergence: its sequence number and both sides, for people.
  std::optional<Seq> divergent_seq;
  std::string divergence;
};

Status check(const DataDir& dir, CheckReport& report, Progress* progress);

}  // namespace auction::replay
