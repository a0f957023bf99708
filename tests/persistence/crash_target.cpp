// journal_crash_target: the durable pipeline in a process of its own, for crash tests.
//
// It recovers <data-dir> (snapshots + journal), prints "ready <last_seq> <digest> <snapshot_seq>",
// then sequences commands read from stdin through the real pipeline, LMDB journal and
// background snapshotter, and prints each answer only once it is durable:
//   stdin:  "lot <origin> <lot-id>"  |  "bid <origin> <lot-id> <bidder> <amount>"
//   stdout: "ack <origin> <seq> accepted|<reject code>"  |  "refused <origin>"
// End of stdin stops it cleanly. The crash tests SIGKILL it instead. (auctiond replaces it for
// crash tests over WebSocket once the gateway exists.)
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>

#include "auction/persistence/journal.h"
#include "auction/persistence/pipeline.h"
#include "auction/persistence/recovery.h"
#include "auction/persistence/snapshotter.h"

using namespace auction;
using namespace auction::persistence;

namespace {

class PrintingAnswers final : public OutcomeSink {
 public:
  void on_durable(std::span<const CommandOutcome> outcomes) override {
    std::string text;
    for (const CommandOutcome& outcome : outcomes) {
      if (outcome.origin == 0) continue;
      std::string answer = "done";
      for (const Event& event : outcome.events) {
        if (std::holds_alternative<BidAccepted>(event.body)) answer = "accepted";
        if (const auto* rejected = std::get_if<BidRejected>(&event.body)) {
          answer = std::string(reject_code_name(rejected->code));
        }
      }
      text += "ack " + std::to_string(outcome.origin) + " " + std::to_string(outcome.seq) + " " +
              answer + "\n";
    }
    print(text);
  }
  void on_refused(std::uint64_t origin) override {
    print("refused " + std::to_string(origin) + "\n");
  }
  void print(const std::string& text) {
    std::lock_guard lock(mutex_);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }

 private:
  std::mutex mutex_;
};

int fail(const Status& status) {
  std::fprintf(stderr, "journal_crash_target: %s\n", status.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: journal_crash_target <data-dir>\n");
    return 2;
  }
  const std::string data = argv[1];
  std::unique_ptr<Journal> journal;
  std::unique_ptr<SnapshotStore> snapshots;
  if (Status s = Journal::open(JournalOptions{data + "/journal"}, journal); !s.is_ok())
    return fail(s);
  if (Status s = SnapshotStore::open(data + "/snapshots", false, snapshots); !s.is_ok()) {
    return fail(s);
  }
  Engine engine;
  RecoveryReport report;
  if (Status s = recover(engine, *journal, snapshots.get(), report); !s.is_ok()) return fail(s);
  std::printf("ready %" PRIu64 " %016" PRIx64 " %" PRIu64 "\n", report.last_seq,
              engine.state_digest(), report.snapshot_seq);
  std::fflush(stdout);

  Snapshotter snapshotter(*journal, *snapshots, engine.limits(),
                          SnapshotterOptions{2'000, std::chrono::milliseconds(20)});
  if (Status s = snapshotter.start(engine.snapshot()); !s.is_ok()) return fail(s);
  PrintingAnswers answers;
  SystemClock clock;
  Pipeline pipeline(engine, *journal, clock, answers, journal->chain().digest);
  pipeline.start(report.last_seq > 0);

  std::cin.tie(nullptr);  // answers are printed by the writer thread; never flush from here
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string verb, lot, bidder;
    std::uint64_t origin = 0;
    AmountMinor amount = 0;
    in >> verb >> origin >> lot;
    const auto lot_id = LotId::parse(lot);
    bool submitted = false;
    if (verb == "lot" && lot_id) {
      LotConfig config;
      config.id = *lot_id;
      config.title = *Title::parse("Crash test lot");
      config.seller = *UserId::parse("seller");
      config.currency = *CurrencyCode::parse("EUR");
      config.start_price_minor = 100;
      config.increment_minor = 10;
      config.starts_at_ms = clock.now_ms();
      config.timed_ms = 3'600'000;
      config.extension_ms = 60'000;
      submitted = pipeline.submit(CreateLot{config}, origin);
    } else if (verb == "bid" && lot_id && (in >> bidder >> amount)) {
      const auto bidder_id = UserId::parse(bidder);
      if (!bidder_id) continue;
      submitted = pipeline.submit(PlaceBid{*lot_id, *bidder_id, amount}, origin);
    } else {
      continue;
    }
    if (!submitted) answers.on_refused(origin);
  }
  pipeline.stop();
  snapshotter.stop();
  return 0;
}
