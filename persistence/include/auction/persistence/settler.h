// The settlement consumer: a thread that follows the durable engine journal (through a shadow
// engine, which turns commands back into events) and settlement's own inputs, applies both to the
// Settlement state machine, and group-commits the result with its read position.
//
//   engine journal (durable) ──scan──▶ shadow Engine ──events──▶ Settlement ◀── submit(input)
//                                                                    │
//                          SettlementStore.commit(inputs, changes, cursor): one txn, fsync
//                                                                    │
//                                               answers (done callbacks), order notices
//
// Contract:
//   - Every input submitted and taken gets exactly one answer through its `done`, and only after
//     the commit that made it durable (or `unavailable` when it was never applied).
//   - An input is journaled with the engine position it was applied after, so
//     replay_settlement() rebuilds the same state from the two journals. A batch's inputs are
//     applied after the engine records read in that batch.
//   - Each engine event and each input takes effect exactly once, also across a SIGKILL at any
//     moment: the state, the inputs and the cursor are committed in one transaction, and a
//     restart resumes from the committed cursor with a shadow engine rebuilt at that position.
//   - Timers run on journaled time: when one is due by the clock and nothing else is coming, a
//     SettleTick input is journaled.
//   - Bounded: at most max_queued_inputs waiting (then submit() refuses), at most
//     max_records_per_batch engine records per commit. Commits of nothing but read progress are
//     deferred (re-reading records with no effect after a crash is harmless).
//   - An ExternalInput record of the engine journal carries a settlement input (a replicated
//     shard's, SPEC §11): it is applied at that record's position, with its timestamp, on
//     every node alike, and its answer goes to the listener (on_journal_answers) once durable.
//     With `inputs_from_journal`, that is the only way in: submit() refuses, and the ticks and
//     configuration this settler would sequence itself are handed to `propose` instead (the
//     shard's leader journals them; a follower drops them).
//   - A store or journal failure stops consuming: later inputs are refused; last_error() says why.
//     A commit refused for a full disk is not a failure: the settler goes back to the store's
//     state (its inputs are answered `unavailable`) and tries again a second later.
// Threading: submit(), notify(), stats() from any thread; start()/stop() from the owner; `done`
// and the listener run on the settler's thread and must not block.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include "auction/engine/engine.h"
#include "auction/persistence/clock.h"
#include "auction/persistence/journal.h"
#include "auction/persistence/settlement_store.h"
#include "auction/persistence/snapshot_store.h"
#include "auction/settlement/settlement.h"

namespace auction::persistence {

struct SettlerOptions {
  std::size_t max_queued_inputs = 10'000;
  std::size_t max_records_per_batch = 100'000;
  // Read progress alone is committed at most this often (or every max_records_per_batch).
  std::chrono::milliseconds idle_commit_interval{1'000};
  std::chrono::milliseconds poll_interval{100};  // also bounds a sleep if the clock jumps
  // The configuration to run with; journaled (Configure) when it differs from the stored one.
  std::optional<settlement::SettlementConfig> config;
  // Every ledger invariant checked after every batch, before its commit (a violation stops the
  // process: AUCTION_ASSERT). On in debug builds; O(state) per batch.
  // A replicated shard's settlement (see the contract above): inputs only through the journal.
  bool inputs_from_journal = false;
  std::function<void(settlement::InputBody)> propose;
  std::chrono::milliseconds propose_interval{500};  // at most one proposal round this often
#ifdef NDEBUG
  bool check_every_batch = false;
#else
  bool check_every_batch = true;
#endif
};

using SettleDone = std::function<void(const settlement::Answer&)>;

class SettlementListener {
 public:
  virtual ~SettlementListener() = default;
  // Orders that changed, once durable (for their buyer and seller). Settler thread.
  virtual void on_orders(std::span<const settlement::Order> orders) = 0;
  // The answers of the journal's ExternalInput records (by their seq), once durable. Settler
  // thread.
  virtual void on_journal_answers(std::span<const std::pair<Seq, settlement::Answer>> answers) {
    (void)answers;
  }
};

// A settlement input as an ExternalInput command's payload, and back (false: malformed).
std::string encode_external_input(const settlement::InputBody& body);
bool decode_external_input(std::string_view payload, settlement::InputBody& body);

struct SettlerStats {
  Seq engine_cursor = 0;
  std::uint64_t records = 0;  // engine records consumed since start
  std::uint64_t events = 0;   // engine events consumed since start
  std::uint64_t inputs = 0;
  std::uint64_t commits = 0;
  bool failed = false;
};

class Settler {
 public:
  // `snapshots` may be null (the shadow engine is then rebuilt from the journal's start).
  Settler(const Journal& journal, const SnapshotStore* snapshots, SettlementStore& store,
          Clock& clock, const EngineLimits& limits, SettlerOptions options = {},
          SettlementListener* listener = nullptr);
  ~Settler();
  Settler(const Settler&) = delete;
  Settler& operator=(const Settler&) = delete;

  // Loads the store, rebuilds the shadow engine at its cursor, catches up with the journal on
  // the calling thread, then starts the thread.
  Status start();
  // Applies and answers what was submitted, catches up with the journal, joins the thread.
  void stop();

  bool submit(settlement::InputBody body, SettleDone done);
  // The engine journal is durable up to `seq` (wakes the thread).
  void notify(Seq seq);

  // Holds for lots still open whose bidder the shadow engine does not show qualified (a crash
  // between the hold and the engine's qualification): the owner qualifies them again.
  const std::vector<std::pair<UserId, LotId>>& holds_to_qualify() const { return requalify_; }
  SettlerStats stats() const;
  std::string last_error() const;

 private:
  struct Pending {
    settlement::InputBody body;
    SettleDone done;
  };
  void run();
  // One batch: engine records, inputs, a tick if due; commit; answer. False on failure.
  bool step(std::deque<Pending>& inputs, bool force_commit);
  Status init_shadow(Seq cursor);
  // After a commit refused for a full disk: state, cursor and shadow engine back to the store's.
  Status rewind();
  // With inputs_from_journal: hands the due tick and a changed configuration to `propose`.
  void propose_due();
  void fail(const std::string& why, std::deque<Pending>& inputs);

  const Journal& journal_;
  const SnapshotStore* snapshots_;
  SettlementStore& store_;
  Clock& clock_;
  Engine shadow_;
  SettlerOptions options_;
  SettlementListener* listener_;
  settlement::Settlement state_;
  Seq cursor_ = 0;            // engine records applied (settler thread)
  Seq committed_cursor_ = 0;  // ... and committed
  std::chrono::steady_clock::time_point last_commit_;
  std::chrono::steady_clock::time_point full_until_{};
  std::chrono::steady_clock::time_point next_proposal_{};  // a full disk: wait before retrying
  std::vector<std::pair<UserId, LotId>> requalify_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  Seq notified_ = 0;
  bool stopping_ = false;
  std::string error_;
  std::atomic<bool> failed_{false};
  std::atomic<Seq> stat_cursor_{0};
  std::atomic<std::uint64_t> stat_records_{0}, stat_events_{0}, stat_inputs_{0}, stat_commits_{0};
  std::thread thread_;
};

// Rebuilds settlement's state from scratch out of the engine journal and the stored inputs,
// merged on each input's engine position, up to the store's cursor. Its digest() must equal the
// stored state's. `engine_limits` must be the live engine's.
Status replay_settlement(const Journal& journal, const SettlementStore& store,
                         const EngineLimits& engine_limits, settlement::Settlement& out);

}  // namespace auction::persistence
