#include "auction/persistence/recovery.h"

#include <chrono>
#include <limits>

#include "auction/persistence/record_codec.h"

namespace auction::persistence {
namespace {

class DiscardingSink final : public EventSink {
 public:
  void on_event(const Event&) override {}
};

Status corrupt(Seq seq, const std::string& what) {
  return Status::error(Status::Code::corruption,
                       "journal record seq " + std::to_string(seq) + ": " + what);
}

}  // namespace

Status replay_journal(Engine& engine, const Journal& journal, Seq to_seq, EventSink* sink,
                      std::uint64_t& replayed) {
  DiscardingSink discard;
  EventSink& out = sink != nullptr ? *sink : discard;
  Status failure = Status::ok();
  Command command;
  const Status scanned = journal.scan(engine.last_seq() + 1, [&](Seq seq, std::string_view bytes) {
    if (seq > to_seq) return false;
    const Seq expected = engine.last_seq() + 1;
    if (seq != expected) {
      failure = corrupt(seq, "gap in sequence numbers (expected " + std::to_string(expected) + ")");
      return false;
    }
    if (Status s = decode_record(bytes, command); !s.is_ok()) {
      failure = corrupt(seq, s.message());
      return false;
    }
    if (command.seq != seq) {
      failure = corrupt(seq, "record carries seq " + std::to_string(command.seq));
      return false;
    }
    if (command.ts_ms < engine.now_ms()) {
      failure = corrupt(seq, "timestamp goes backwards");
      return false;
    }
    engine.apply(command, out);
    ++replayed;
    return true;
  });
  if (!scanned.is_ok()) return scanned;
  return failure;
}

Status recover(Engine& engine, const Journal& journal, const SnapshotStore* snapshots,
               RecoveryReport& report, EventSink* tail_events) {
  const auto started = std::chrono::steady_clock::now();
  report = RecoveryReport{};
  const Seq journal_first = journal.first_seq();
  const Seq journal_last = journal.last_seq();
  if (snapshots != nullptr) {
    std::optional<StoredSnapshot> snapshot;
    if (Status s = snapshots->latest(snapshot); !s.is_ok()) return s;
    if (snapshot) {
      const std::string where = "snapshot at seq " + std::to_string(snapshot->seq) + ": ";
      if (snapshot->seq > journal_last) {
        return Status::error(Status::Code::corruption, where + "ahead of the journal (last seq " +
                                                           std::to_string(journal_last) + ")");
      }
      if (Status s = engine.restore(snapshot->bytes); !s.is_ok()) {
        return Status::error(Status::Code::corruption, where + s.message());
      }
      if (engine.last_seq() != snapshot->seq || engine.state_digest() != snapshot->digest) {
        return Status::error(Status::Code::corruption,
                             where +
                                 "digest mismatch (the stored state is not the state it "
                                 "claims)");
      }
      report.snapshot_seq = snapshot->seq;
    }
  }
  if (report.snapshot_seq == 0 && journal_first > 1) {
    return corrupt(journal_first, "the journal does not start at seq 1 and there is no snapshot");
  }
  if (Status s = replay_journal(engine, journal, std::numeric_limits<Seq>::max(), tail_events,
                                report.replayed_commands);
      !s.is_ok()) {
    return s;
  }
  if (engine.last_seq() != journal_last) {
    return corrupt(engine.last_seq() + 1,
                   "missing (the journal ends at " + std::to_string(journal_last) + ")");
  }
  report.last_seq = engine.last_seq();
  report.elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return Status::ok();
}

}  // namespace auction::persistence
