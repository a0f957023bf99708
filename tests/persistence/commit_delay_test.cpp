// The pipeline's commit delay (PipelineOptions::commit_delay_us): after releasing k answers the
// writer waits for k new commands, up to the delay, so that two half batches become one.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "../engine/harness.h"
#include "auction/persistence/pipeline.h"
#include "auction/persistence/record_codec.h"
#include "wait_until.h"

using namespace auction;
using namespace auction::persistence;
using namespace auction::testing;
using namespace std::chrono_literals;

namespace {

// Keeps each synced batch's seqs; the first sync waits at a gate the test opens.
class GatedJournal final : public JournalBackend {
 public:
  Status write(const JournalBatch& batch) override {
    std::lock_guard lock(mutex_);
    for (const std::string_view record : batch.records)
      staged_.push_back(record_seq(record));
    return Status::ok();
  }
  Status sync() override {
    std::unique_lock lock(mutex_);
    in_first_sync_ = batches_.empty();
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
    batches_.push_back(staged_);
    staged_.clear();
    return Status::ok();
  }
  void wait_in_first_sync() {
    std::unique_lock lock(mutex_);
    REQUIRE(changed_.wait_for(lock, 5s, [&] { return in_first_sync_; }));
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  std::vector<std::vector<Seq>> batches() const {
    std::lock_guard lock(mutex_);
    return batches_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  bool in_first_sync_ = false;
  std::vector<Seq> staged_;
  std::vector<std::vector<Seq>> batches_;
};

class Count final : public OutcomeSink {
 public:
  void on_durable(std::span<const CommandOutcome> outcomes) override {
    std::lock_guard lock(mutex_);
    answered_ += outcomes.size();
  }
  void on_refused(std::uint64_t) override {}
  std::size_t answered() const {
    std::lock_guard lock(mutex_);
    return answered_;
  }

 private:
  mutable std::mutex mutex_;
  std::size_t answered_ = 0;
};

// Command 1 alone in the first batch, held in its sync while commands 2 and 3 are sequenced.
struct Held {
  explicit Held(std::int64_t commit_delay_us) {
    PipelineOptions options;
    options.commit_delay_us = commit_delay_us;
    pipeline.emplace(engine, journal, clock, answers, Digest256{}, std::move(options));
    pipeline->start(false);
    REQUIRE(pipeline->submit(Tick{}, 1));
    journal.wait_in_first_sync();
    REQUIRE(pipeline->submit(Tick{}, 2));
    REQUIRE(pipeline->submit(Tick{}, 3));
    REQUIRE(wait_until([&] { return pipeline->stats().sequenced_seq == 3; }));
    journal.open();
    REQUIRE(wait_until([&] { return answers.answered() >= 1; }));
  }
  ~Held() { pipeline->stop(); }

  GatedJournal journal;
  Count answers;
  ManualClock clock{kT0};
  Engine engine;
  std::optional<Pipeline> pipeline;
};

}  // namespace

TEST_CASE("commit delay: the next batch waits for as many commands as the last one answered") {
  Held held(/*commit_delay_us=*/10'000'000);
  // One answer went out: the writer waits for one command more than it already holds.
  std::this_thread::sleep_for(100ms);
  CHECK(held.answers.answered() == 1);
  CHECK(held.journal.batches().size() == 1);
  REQUIRE(held.pipeline->submit(Tick{}, 4));
  REQUIRE(wait_until([&] { return held.answers.answered() == 4; }));
  const std::vector<std::vector<Seq>> batches = held.journal.batches();
  REQUIRE(batches.size() == 2);
  CHECK(batches[0] == std::vector<Seq>{1});
  CHECK(batches[1] == std::vector<Seq>{2, 3, 4});
}

TEST_CASE("commit delay: the wait ends when the delay has passed") {
  const auto start = std::chrono::steady_clock::now();
  Held held(/*commit_delay_us=*/200'000);
  REQUIRE(wait_until([&] { return held.answers.answered() == 3; }));
  CHECK(std::chrono::steady_clock::now() - start >= 200ms);
  CHECK(held.journal.batches().size() == 2);
}

TEST_CASE("no commit delay: what waits is written as soon as the last batch is answered") {
  Held held(/*commit_delay_us=*/0);
  REQUIRE(wait_until([&] { return held.answers.answered() == 3; }, 2s));
  const std::vector<std::vector<Seq>> batches = held.journal.batches();
  REQUIRE(batches.size() == 2);
  CHECK(batches[1] == std::vector<Seq>{2, 3});
}
