// The single-writer pipeline: durability before answers, group commit, ticks, failures.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "../engine/harness.h"
#include "auction/persistence/journal.h"
#include "auction/persistence/pipeline.h"
#include "auction/persistence/record_codec.h"
#include "auction/persistence/recovery.h"
#include "temp_dir.h"
#include "wait_until.h"

using namespace auction;
using namespace auction::persistence;
using namespace auction::testing;
using namespace std::chrono_literals;

namespace {

// A journal that keeps written records in memory and makes them "durable" only on sync(), after
// a delay. crash() drops everything not yet synced, as losing power would, and fails every later
// write and sync.
class FaultyJournal final : public JournalBackend {
 public:
  explicit FaultyJournal(std::chrono::microseconds sync_delay) : sync_delay_(sync_delay) {}

  Status write(const JournalBatch& batch) override {
    std::lock_guard lock(mutex_);
    if (crashed_) return Status::error(Status::Code::io_error, "crashed");
    for (const std::string_view record : batch.records)
      staged_.push_back(record_seq(record));
    return Status::ok();
  }
  Status sync() override {
    std::this_thread::sleep_for(sync_delay_);
    std::lock_guard lock(mutex_);
    if (crashed_) return Status::error(Status::Code::io_error, "crashed");
    for (const Seq seq : staged_)
      durable_.insert(seq);
    staged_.clear();
    syncs_ += 1;
    return Status::ok();
  }
  void crash() {
    std::lock_guard lock(mutex_);
    crashed_ = true;
    staged_.clear();
  }
  bool is_durable(Seq seq) const {
    std::lock_guard lock(mutex_);
    return durable_.contains(seq);
  }
  std::size_t syncs() const {
    std::lock_guard lock(mutex_);
    return syncs_;
  }

 private:
  std::chrono::microseconds sync_delay_;
  mutable std::mutex mutex_;
  std::vector<Seq> staged_;
  std::set<Seq> durable_;
  std::size_t syncs_ = 0;
  bool crashed_ = false;
};

// Records what the pipeline released, checking durability at the moment of release.
class Answers final : public OutcomeSink {
 public:
  explicit Answers(const FaultyJournal* journal = nullptr) : journal_(journal) {}
  void on_durable(std::span<const CommandOutcome> outcomes) override {
    std::lock_guard lock(mutex_);
    for (const CommandOutcome& outcome : outcomes) {
      if (journal_ != nullptr && !journal_->is_durable(outcome.seq)) released_early += 1;
      if (outcome.origin != 0) acked[outcome.origin] = outcome.seq;
      for (const Event& event : outcome.events)
        events.push_back(event);
      ++released;
    }
  }
  void on_refused(std::uint64_t origin) override {
    std::lock_guard lock(mutex_);
    refused.insert(origin);
  }
  std::size_t answered() const {
    std::lock_guard lock(mutex_);
    return acked.size() + refused.size();
  }
  std::size_t acked_count() const {
    std::lock_guard lock(mutex_);
    return acked.size();
  }
  bool has_ack(std::uint64_t origin) const {
    std::lock_guard lock(mutex_);
    return acked.contains(origin);
  }
  std::size_t refused_count() const {
    std::lock_guard lock(mutex_);
    return refused.size();
  }
  std::size_t released_count() const {
    std::lock_guard lock(mutex_);
    return released;
  }
  template <typename Body>
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return bodies<Body>(events).size();
  }

  mutable std::mutex mutex_;
  std::map<std::uint64_t, Seq> acked;
  std::set<std::uint64_t> refused;
  std::vector<Event> events;
  std::size_t released = 0;
  std::size_t released_early = 0;

 private:
  const FaultyJournal* journal_;
};

LotConfig open_lot(const std::string& id, TimeMs now_ms) {
  LotConfig config = lot_config(id);
  config.starts_at_ms = now_ms;
  config.timed_ms = 3'600'000;
  return config;
}

}  // namespace

TEST_CASE("no answer is released before its command is synced, even across a crash") {
  const std::uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  FaultyJournal journal(200us);
  Answers answers(&journal);
  ManualClock clock(kT0);
  Engine engine;
  Pipeline pipeline(engine, journal, clock, answers, Digest256{});
  pipeline.start(false);
  REQUIRE(pipeline.submit(CreateLot{open_lot("lot1", kT0)}, 1));
  std::uint64_t origin = 1;
  // Crash once a random number of acks went out, while bids keep arriving.
  const std::size_t crash_at_acks = std::uniform_int_distribution<std::size_t>(50, 2'000)(rng);
  bool crashed = false;
  std::size_t refused_at_once = 0;
  // Bids until 1,000 more were sent after the crash (bounded in count and time: a slow machine,
  // or TSan, acknowledges more slowly than the loop submits).
  int bids = 0, after_crash = 0;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (after_crash < 1'000 && bids < 200'000 && std::chrono::steady_clock::now() < deadline) {
    if (!crashed && answers.acked_count() >= crash_at_acks) {
      journal.crash();
      crashed = true;
    }
    if (!pipeline.submit(PlaceBid{lot_id("lot1"), user(bids % 2 ? "ann" : "bob"), 100 + 10 * bids},
                         ++origin)) {
      ++refused_at_once;
    }
    after_crash += crashed ? 1 : 0;
    if (++bids % 50 == 0) std::this_thread::sleep_for(200us);
  }
  REQUIRE(crashed);
  pipeline.stop();
  CHECK(answers.released_early == 0);
  CHECK(answers.acked.size() >= crash_at_acks);           // acknowledged before the crash
  CHECK(answers.refused.size() + refused_at_once > 100);  // the rest refused, not lost
  CHECK(answers.answered() + refused_at_once == static_cast<std::size_t>(bids) + 1);  // one each
  for (const auto& [who, seq] : answers.acked)
    CHECK(journal.is_durable(seq));
  CHECK(journal.syncs() < answers.acked.size());  // group commit: fewer syncs than commands
}

TEST_CASE("every submitted command gets exactly one answer, in sequence order") {
  FaultyJournal journal(100us);
  Answers answers(&journal);
  ManualClock clock(kT0);
  Engine engine;
  Pipeline pipeline(engine, journal, clock, answers, Digest256{});
  pipeline.start(false);
  REQUIRE(pipeline.submit(CreateLot{open_lot("lot1", kT0)}, 1));
  std::vector<std::thread> producers;
  std::atomic<std::size_t> refused_at_once{0};
  for (int p = 0; p < 4; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < 5'000; ++i) {
        const std::uint64_t origin = 2 + static_cast<std::uint64_t>(p) * 100'000 + i;
        if (!pipeline.submit(PlaceBid{lot_id("lot1"), user("u" + std::to_string(p)), 100 + i},
                             origin)) {
          refused_at_once += 1;
        }
      }
    });
  }
  for (auto& t : producers)
    t.join();
  pipeline.stop();
  CHECK(answers.answered() + refused_at_once == 20'001);
  CHECK(answers.released_early == 0);
  Seq last = 0;
  for (const Event& e : answers.events) {
    CHECK(e.seq >= last);
    last = e.seq;
  }
  CHECK(pipeline.durable_seq() == engine.last_seq());
}

TEST_CASE("a lone command is journaled at once, not held back for company") {
  FaultyJournal journal(0us);
  Answers answers(&journal);
  ManualClock clock(kT0);
  Engine engine;
  Pipeline pipeline(engine, journal, clock, answers, Digest256{});
  pipeline.start(false);
  // Idle between commands, the core sleeps up to 100 ms; a command must not wait for that.
  std::vector<std::chrono::steady_clock::duration> latencies;
  for (std::uint64_t origin = 1; origin <= 5; ++origin) {
    std::this_thread::sleep_for(30ms);  // the pipeline is idle
    const auto sent = std::chrono::steady_clock::now();
    REQUIRE(pipeline.submit(
        origin == 1 ? CommandBody{CreateLot{open_lot("lot1", kT0)}} : CommandBody{Tick{}}, origin));
    REQUIRE(wait_until([&] { return answers.answered() == origin; }));
    latencies.push_back(std::chrono::steady_clock::now() - sent);
  }
  std::sort(latencies.begin(), latencies.end());
  CHECK(latencies[2] < 20ms);  // the median, so a busy machine's hiccup does not decide it
  pipeline.stop();
}

TEST_CASE("deadlines are ticked by the pipeline and the ticks are journaled") {
  TempDir dir;
  std::unique_ptr<Journal> journal;
  REQUIRE(Journal::open(JournalOptions{dir.path(), 64 << 20, false}, journal).is_ok());
  Answers answers;
  ManualClock clock(kT0);
  Engine engine;
  Pipeline pipeline(engine, *journal, clock, answers, Digest256{});
  pipeline.start(false);
  LotConfig config = open_lot("lot1", kT0);
  config.timed_ms = 2'000;
  config.extension_ms = 0;
  REQUIRE(pipeline.submit(CreateLot{config}, 1));
  REQUIRE(wait_until([&] { return answers.answered() == 1; }));
  CHECK(answers.count<LotClosed>() == 0);
  clock.advance(2'000);  // the deadline passes; nobody submits anything
  REQUIRE(wait_until([&] { return answers.count<LotClosed>() == 1; }));
  pipeline.stop();
  int ticks = 0;
  REQUIRE(journal
              ->scan(1,
                     [&](Seq, std::string_view bytes) {
                       Command command;
                       REQUIRE(decode_record(bytes, command).is_ok());
                       ticks += std::holds_alternative<Tick>(command.body);
                       return true;
                     })
              .is_ok());
  CHECK(ticks == 1);  // one tick, when it mattered: no polling records
  Engine replayed;
  RecoveryReport report;
  REQUIRE(recover(replayed, *journal, nullptr, report).is_ok());
  CHECK(replayed.state_digest() == engine.state_digest());
  CHECK(replayed.find_lot(lot_id("lot1"))->phase == Phase::closed);
}

TEST_CASE("after a restart the first command applies the outage rule") {
  TempDir dir;
  std::unique_ptr<Journal> journal;
  REQUIRE(Journal::open(JournalOptions{dir.path(), 64 << 20, false}, journal).is_ok());
  ManualClock clock(kT0);
  LotConfig config = open_lot("lot1", kT0);
  config.timed_ms = 1'000;
  {
    Answers answers;
    Engine engine;
    Pipeline pipeline(engine, *journal, clock, answers, Digest256{});
    pipeline.start(false);
    REQUIRE(pipeline.submit(CreateLot{config}, 1));
    REQUIRE(wait_until([&] { return answers.answered() == 1; }));
    pipeline.stop();
  }
  clock.advance(3'600'000);  // down for an hour: the lot's deadline fell meanwhile
  Engine engine;
  RecoveryReport report;
  REQUIRE(recover(engine, *journal, nullptr, report).is_ok());
  Answers answers;
  Pipeline pipeline(engine, *journal, clock, answers, journal->chain().digest);
  pipeline.start(true);
  REQUIRE(wait_until([&] { return answers.released_count() >= 1; }));
  pipeline.stop();
  const LotState* lot = engine.find_lot(lot_id("lot1"));
  CHECK(lot->phase == Phase::extension);
  CHECK(lot->deadline_ms == kT0 + 3'600'000 + 60'000);
  CHECK(answers.count<LotClosed>() == 0);
}

TEST_CASE(
    "a full journal refuses new commands, keeps acknowledged ones, and resumes after growing") {
  TempDir dir;
  std::unique_ptr<Journal> journal;
  REQUIRE(Journal::open(JournalOptions{dir.path(), 512 << 10, false}, journal).is_ok());
  Answers answers;
  ManualClock clock(kT0);
  Engine engine;
  PipelineOptions options;
  options.journal_headroom_bytes = 1;  // let it really fill up
  options.rebuild = [&](Engine& fresh) {
    RecoveryReport report;
    return recover(fresh, *journal, nullptr, report);
  };
  Pipeline pipeline(engine, *journal, clock, answers, Digest256{}, options);
  pipeline.start(false);
  REQUIRE(pipeline.submit(CreateLot{open_lot("lot1", kT0)}, 1));
  REQUIRE(wait_until([&] { return answers.has_ack(1); }));
  std::uint64_t origin = 1;
  int bid = 0;
  // Bid in groups of 200, each answered before the next, until the journal refuses (bounded:
  // 512 KiB holds a few thousand records).
  std::size_t refused_at_once = 0;
  while (refused_at_once == 0 && answers.refused_count() == 0 && bid < 100'000) {
    const std::uint64_t group_end = origin + 200;
    while (origin < group_end) {
      if (!pipeline.submit(PlaceBid{lot_id("lot1"), user(bid % 2 ? "ann" : "bob"), 100 + 10 * bid},
                           ++origin)) {
        ++refused_at_once;
      }
      ++bid;
    }
    REQUIRE(wait_until([&] { return answers.answered() + refused_at_once == origin; }));
  }
  CHECK(answers.acked_count() > 1'000);
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(pipeline.submit(Tick{}, ++origin));  // refused while full
  // Everything acknowledged is in the journal, exactly as answered.
  std::set<Seq> journaled;
  REQUIRE(journal
              ->scan(1,
                     [&](Seq seq, std::string_view) {
                       journaled.insert(seq);
                       return true;
                     })
              .is_ok());
  for (const auto& [who, seq] : answers.acked)
    CHECK(journaled.contains(seq));
  pipeline.grow_journal(16 << 20);
  REQUIRE(wait_until([&] { return pipeline.submit(PauseLot{lot_id("lot1")}, ++origin); }));
  REQUIRE(wait_until([&] { return answers.has_ack(origin); }));
  pipeline.stop();
  Engine replayed;
  RecoveryReport report;
  REQUIRE(recover(replayed, *journal, nullptr, report).is_ok());
  CHECK(replayed.state_digest() == engine.state_digest());
  const LotState* lot = replayed.find_lot(lot_id("lot1"));
  REQUIRE(lot != nullptr);
  CHECK(lot->phase == Phase::paused);
}
