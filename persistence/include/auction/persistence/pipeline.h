// The single-writer pipeline: commands from any thread → one core thread that sequences and
// applies them → one writer thread that journals them with group commit → outcomes released only
// once durable.
//
//   producers ──submit()──▶ ConcurrentQueue ──▶ core thread ──batch──▶ writer thread ──▶ sink
//                                               seq + ts, Engine      write + fsync      on_durable
//
// Contract:
//   - Every submitted command gets exactly one answer: submit() returns false (refused at once:
//     queue full, stopping, journal full or failed), or the sink later receives it in
//     on_durable() (with its events) or on_refused() (never applied).
//   - on_durable() is called only after the journal's sync() covered every command it carries:
//     no answer or event leaves before its command is durable.
//   - The core never waits on the disk: it keeps sequencing while the writer syncs the previous
//     batch; the next batch holds everything that arrived meanwhile (a lone command is written
//     at once, never held back waiting for company, unless commit_delay_us is set).
//   - Clock ticks that change something are sequenced and journaled like any command; the core
//     sleeps until the engine's next deadline or the next submission, never spinning.
//   - After a journal failure every command in flight is refused and new ones are refused. When
//     the journal is full (its capacity, or the disk) and a `rebuild` function is given, the
//     engine is rebuilt from durable state and the pipeline resumes by itself once the journal
//     has room again (grow_journal(), or space freed on the disk: checked twice a second). A
//     failed fsync never resumes: the page cache cannot be trusted, the process must restart.
//   - The sink hears once when durability stops (with the reason) and once when it resumes.
//   - Limits: at most max_queued_commands submitted and not yet sequenced (then submit() refuses);
//     at most max_unreleased_commands sequenced and not yet durable (then the core stops taking
//     commands until the writer catches up).
// Threading: submit(), grow_journal(), durable_seq(), stats() from any thread; start() and stop()
// from the owning thread. The engine belongs to the core thread between start() and stop().
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "auction/engine/engine.h"
#include "auction/persistence/chain_digest.h"
#include "auction/persistence/clock.h"
#include "auction/persistence/journal_backend.h"

namespace auction::persistence {

struct PipelineOptions {
  std::size_t max_queued_commands = 100'000;
  std::size_t max_unreleased_commands = 1'000'000;
  std::size_t journal_headroom_bytes = std::size_t{16} << 20;
  // Group commit for a journal whose every sync is costly (a replicated journal: one publish to
  // the stream, about a millisecond of CPU across the shard). After releasing k answers, the
  // writer waits up to this long from the release for k new commands (the answered clients'
  // next ones) before it writes the next batch. 0: it never waits.
  std::int64_t commit_delay_us = 0;
  // Rebuilds the engine from durable state after the journal reported it was full.
  std::function<Status(Engine&)> rebuild;
};

struct CommandOutcome {
  Seq seq = 0;
  TimeMs ts_ms = 0;
  std::uint64_t origin = 0;  // the submitter's token; 0 for the pipeline's own ticks
  std::span<const Event> events;
  Digest256 chain_after{};  // the journal's chain digest after this command
};

class OutcomeSink {
 public:
  virtual ~OutcomeSink() = default;
  // Durable commands in sequence order, with their events. Writer thread.
  virtual void on_durable(std::span<const CommandOutcome> outcomes) = 0;
  // A submitted command that was not applied: answer `unavailable`. Core or writer thread.
  virtual void on_refused(std::uint64_t origin) = 0;
  // Durability stopped (`ok` false: commands are refused from now, `why` says why) or resumed.
  // Once per change, core thread.
  virtual void on_durability(bool /*ok*/, const std::string& /*why*/) {}
};

struct PipelineStats {
  Seq sequenced_seq = 0;
  Seq durable_seq = 0;
  std::uint64_t batches = 0;
  std::uint64_t refused = 0;
  bool journal_failed = false;
  bool accepting = true;  // false while commands are refused (failed, or no room)
};

class Pipeline {
 public:
  // `engine` holds the recovered state; `chain_start` is the journal's chain digest after
  // engine.last_seq().
  Pipeline(Engine& engine, JournalBackend& journal, Clock& clock, OutcomeSink& sink,
           const Digest256& chain_start, PipelineOptions options = {});
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Starts the threads. With `restarted`, the first command is Restart (SPEC §3 outage rule).
  void start(bool restarted);
  bool submit(CommandBody body, std::uint64_t origin);
  // Submits a batch with one wake-up of the core. All are taken, or none (then false: answer
  // each `unavailable`). The batch's bodies are moved from.
  bool submit_all(std::span<std::pair<CommandBody, std::uint64_t>> batch);
  // Applies, journals and answers everything submitted before it, then joins the threads.
  void stop();

  void grow_journal(std::size_t capacity_bytes);
  Seq durable_seq() const;
  PipelineStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace auction::persistence
