#include "replay.h"

#include <cstdio>
#include <map>
#include <set>

#include "auction/engine/describe.h"
#include "auction/persistence/chain_digest.h"
#include "auction/persistence/record_codec.h"
#include "text_format.h"

namespace auction::replay {
namespace {

using persistence::RecordedOutcome;

Status corrupt(std::string message) {
  return Status::error(Status::Code::corruption, std::move(message));
}

std::string record_name(Seq seq) {
  return "journal record seq " + std::to_string(seq);
}

class VectorSink final : public EventSink {
 public:
  explicit VectorSink(std::vector<Event>& events) : events_(events) {}
  void on_event(const Event& event) override { events_.push_back(event); }

 private:
  std::vector<Event>& events_;
};

// Reads records in order and checks what needs no engine: continuity, checksum, format, time.
class RecordChecker {
 public:
  explicit RecordChecker(Seq previous_seq, TimeMs previous_ts_ms)
      : expected_(previous_seq + 1), last_ts_ms_(previous_ts_ms) {}

  Status next(Seq key, std::string_view bytes, Command& command,
              std::optional<RecordedOutcome>& recorded) {
    if (key != expected_) {
      return corrupt(record_name(key) + ": expected seq " + std::to_string(expected_) +
                     (key > expected_ ? " (a gap)" : " (a repeat)"));
    }
    if (Status s = persistence::decode_record(bytes, command, &recorded); !s.is_ok()) {
      return corrupt(record_name(key) + ": " + s.message());
    }
    if (command.seq != key) {
      return corrupt(record_name(key) + ": the record says seq " + std::to_string(command.seq));
    }
    if (command.ts_ms < last_ts_ms_) {
      return corrupt(record_name(key) + ": time goes backwards (" + std::to_string(command.ts_ms) +
                     " ms after " + std::to_string(last_ts_ms_) + " ms)");
    }
    ++expected_;
    last_ts_ms_ = command.ts_ms;
    return Status::ok();
  }

 private:
  Seq expected_;
  TimeMs last_ts_ms_;
};

// Restores `engine` from the newest snapshot at or before `at_or_before`; `seq` = 0 when none.
Status start_from_snapshot(const DataDir& dir, Seq at_or_before, Engine& engine, Seq& seq) {
  seq = 0;
  if (dir.snapshots == nullptr || at_or_before == 0) return Status::ok();
  std::optional<persistence::StoredSnapshot> snapshot;
  if (Status s = dir.snapshots->latest(snapshot, at_or_before); !s.is_ok()) return s;
  if (!snapshot) return Status::ok();
  const std::string name = "snapshot at seq " + std::to_string(snapshot->seq);
  if (Status s = engine.restore(snapshot->bytes); !s.is_ok()) {
    return corrupt(name + ": " + s.message());
  }
  if (engine.state_digest() != snapshot->digest) return corrupt(name + ": digest mismatch");
  seq = snapshot->seq;
  return Status::ok();
}

void add_lot_ids(const Command& command, std::set<LotId>& lots) {
  if (const auto* create = std::get_if<CreateLot>(&command.body)) lots.insert(create->config.id);
  if (const auto* many = std::get_if<CreateLots>(&command.body)) {
    for (const LotConfig& config : many->configs)
      lots.insert(config.id);
  }
}

std::string describe_outcome(const RecordedOutcome& outcome) {
  return std::to_string(outcome.event_count) + " event(s), digest " + hex64(outcome.events_digest);
}

}  // namespace

Progress::Progress(std::string_view what, std::uint64_t total, bool enabled)
    : what_(what),
      total_(total),
      enabled_(enabled),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void Progress::maybe_print(std::uint64_t done) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::seconds(1)) return;
  last_ = now;
  printed_ = true;
  const double percent = total_ == 0 ? 100.0 : 100.0 * static_cast<double>(done) / total_;
  std::fprintf(stderr, "%s: %llu of %llu records (%.0f%%)\n", what_.c_str(),
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
               percent);
}

void Progress::finish(std::uint64_t done) {
  if (!enabled_ || !printed_) return;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::fprintf(stderr, "%s: %llu records in %.1f s\n", what_.c_str(),
               static_cast<unsigned long long>(done), seconds);
}

Status replay(const DataDir& dir, const ReplayOptions& options,
              const std::function<bool(const Step&)>& visit, Engine& engine,
              std::uint64_t& applied) {
  applied = 0;
  Seq start_seq = 0;
  if (options.use_snapshots && options.from_seq > 1) {
    const Seq before = std::min(options.from_seq - 1, options.to_seq);
    if (Status s = start_from_snapshot(dir, before, engine, start_seq); !s.is_ok()) return s;
  }
  RecordChecker checker(start_seq, start_seq == 0 ? TimeMs{0} : engine.now_ms());
  std::vector<Event> events;
  VectorSink sink(events);
  Status error = Status::ok();
  const Status scanned = dir.journal->scan(start_seq + 1, [&](Seq seq, std::string_view bytes) {
    if (seq > options.to_seq) return false;
    Command command;
    std::optional<RecordedOutcome> recorded;
    if (error = checker.next(seq, bytes, command, recorded); !error.is_ok()) return false;
    events.clear();
    engine.apply(command, sink);
    ++applied;
    if (options.progress != nullptr) options.progress->update(seq);
    if (seq < options.from_seq) return true;
    return visit(Step{command, bytes, recorded, events, engine});
  });
  if (!scanned.is_ok()) return scanned;
  return error;
}

Status seq_at_time(const DataDir& dir, TimeMs at_ms, Seq& out) {
  out = 0;
  Status error = Status::ok();
  const Status scanned = dir.journal->scan(1, [&](Seq seq, std::string_view bytes) {
    Command command;
    if (Status s = persistence::decode_record(bytes, command); !s.is_ok()) {
      error = corrupt(record_name(seq) + ": " + s.message());
      return false;
    }
    if (command.ts_ms > at_ms) return false;
    out = seq;
    return true;
  });
  return scanned.is_ok() ? error : scanned;
}

Status verify(const DataDir& dir, VerifyReport& report, Progress* progress) {
  report = {};
  // The committed chain first: records the writer adds meanwhile are past its seq and not
  // checked (a live server keeps appending).
  const persistence::ChainPoint committed = dir.journal->chain();
  std::map<Seq, persistence::Digest256> marks;
  if (Status s = dir.journal->scan_marks([&](Seq seq, const persistence::Digest256& digest) {
        if (seq <= committed.seq) marks.emplace(seq, digest);
        return seq <= committed.seq;
      });
      !s.is_ok()) {
    return s;
  }
  persistence::ChainDigest chain;
  RecordChecker checker(0, TimeMs{0});
  std::set<LotId> lots;
  Status error = Status::ok();
  const Status scanned = dir.journal->scan(1, [&](Seq seq, std::string_view bytes) {
    if (seq > committed.seq) return false;
    Command command;
    std::optional<RecordedOutcome> recorded;
    if (error = checker.next(seq, bytes, command, recorded); !error.is_ok()) return false;
    const persistence::Digest256& digest = chain.add(bytes);
    if (const auto mark = marks.find(seq); mark != marks.end()) {
      if (mark->second != digest) {
        error =
            corrupt(record_name(seq) + ": chain digest differs from the one marked at its close");
        return false;
      }
      ++report.marks_checked;
    }
    if (report.records == 0) report.first_seq = seq, report.first_ts_ms = command.ts_ms;
    report.last_seq = seq;
    report.last_ts_ms = command.ts_ms;
    ++report.records;
    report.with_outcome += recorded.has_value() ? 1 : 0;
    add_lot_ids(command, lots);
    if (progress != nullptr) progress->update(seq);
    return true;
  });
  if (!scanned.is_ok()) return scanned;
  if (!error.is_ok()) return error;
  if (report.last_seq != committed.seq) {
    return corrupt("journal: the committed chain names seq " + std::to_string(committed.seq) +
                   " but the last record is seq " + std::to_string(report.last_seq));
  }
  if (report.records > 0 && chain.value() != committed.digest) {
    return corrupt(record_name(report.last_seq) + ": chain digest differs from the committed one");
  }
  if (marks.size() != report.marks_checked) {
    return corrupt("journal: a mark names a record that does not exist");
  }
  report.lots = lots.size();
  report.chain_hex = persistence::to_hex(chain.value());
  if (dir.snapshots != nullptr) {
    const std::vector<Seq> snapshots = dir.snapshots->list();
    // Read after the list: a live server's snapshotter may have written one past the range
    // verified above, but never past the journal.
    const Seq journal_last = dir.journal->last_seq();
    for (const Seq seq : snapshots) {
      if (seq > journal_last) {
        return corrupt("snapshot at seq " + std::to_string(seq) +
                       ": ahead of the journal (last seq " + std::to_string(journal_last) + ")");
      }
      Engine engine(dir.limits);
      Seq restored = 0;
      if (Status s = start_from_snapshot(dir, seq, engine, restored); !s.is_ok()) return s;
      ++report.snapshots_checked;
    }
  }
  return Status::ok();
}

Status check(const DataDir& dir, CheckReport& report, Progress* progress) {
  report = {};
  std::map<Seq, std::uint64_t> snapshot_digests;
  if (dir.snapshots != nullptr) {
    for (const Seq seq : dir.snapshots->list()) {
      std::optional<persistence::StoredSnapshot> snapshot;
      if (Status s = dir.snapshots->latest(snapshot, seq); !s.is_ok()) return s;
      if (snapshot) snapshot_digests.emplace(snapshot->seq, snapshot->digest);
    }
  }
  persistence::OutcomeHasher hasher;
  Engine engine(dir.limits);
  ReplayOptions options;
  options.use_snapshots = false;  // the whole history is what is checked
  options.progress = progress;
  std::uint64_t applied = 0;
  const auto diverge = [&](Seq seq, std::string text) {
    report.divergent_seq = seq;
    report.divergence = std::move(text);
    return false;
  };
  const Status s = replay(
      dir, options,
      [&](const Step& step) {
        const Seq seq = step.command.seq;
        report.last_seq = seq;
        if (step.recorded) {
          const RecordedOutcome replayed = hasher.digest(step.events);
          ++report.outcomes_compared;
          if (replayed != *step.recorded) {
            std::string text = "seq " + std::to_string(seq) + " (" + describe(step.command) +
                               "): recorded " + describe_outcome(*step.recorded) + "; replayed " +
                               describe_outcome(replayed) + ":";
            for (const Event& event : step.events)
              text += "\n    " + describe(event);
            return diverge(seq, std::move(text));
          }
        }
        if (const auto it = snapshot_digests.find(seq); it != snapshot_digests.end()) {
          ++report.snapshots_compared;
          if (step.engine.state_digest() != it->second) {
            return diverge(seq, "seq " + std::to_string(seq) + ": the snapshot's state digest " +
                                    hex64(it->second) + " differs from the replayed state's " +
                                    hex64(step.engine.state_digest()));
          }
        }
        return true;
      },
      engine, applied);
  if (!s.is_ok()) return s;
  report.records = applied;
  report.state_digest = engine.state_digest();
  for (const LotState& lot : engine.lots()) {
    ++report.lots;
    report.closed += lot.bidding_over() ? 1 : 0;
    report.sold += lot.phase == Phase::closed && lot.outcome == Outcome::sold ? 1 : 0;
  }
  return Status::ok();
}

}  // namespace auction::replay
