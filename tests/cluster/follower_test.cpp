// A leader's real pipeline journals through ReplicatedJournal; followers read the stream into
// their own journals and engines (SPEC §11): the same records, the same state digest.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "../engine/harness.h"
#include "../persistence/temp_dir.h"
#include "auction/cluster/follower.h"
#include "auction/cluster/stream_writer.h"
#include "auction/persistence/pipeline.h"
#include "nats_cluster.h"

using namespace auction;
using namespace auction::cluster;
using namespace auction::persistence;
using auction::testing::NatsCluster;
using auction::testing::TempDir;
using namespace std::chrono_literals;

namespace {

const ShardNames kShard("f1");

std::unique_ptr<NatsLink> linked(const NatsCluster& nats) {
  auto link = std::make_unique<NatsLink>();
  NatsOptions options;
  options.urls = nats.urls();
  REQUIRE(link->connect(options).is_ok());
  const Status ready = link->ensure_stream(kShard, 20'000);
  REQUIRE_MESSAGE(ready.is_ok(), ready.message());
  return link;
}

std::unique_ptr<Journal> open_journal(const std::string& directory) {
  std::unique_ptr<Journal> journal;
  const Status opened = Journal::open(JournalOptions{directory, std::size_t{64} << 20}, journal);
  REQUIRE_MESSAGE(opened.is_ok(), opened.message());
  return journal;
}

class CountingSink final : public OutcomeSink {
 public:
  void on_durable(std::span<const CommandOutcome> outcomes) override { durable += outcomes.size(); }
  void on_refused(std::uint64_t) override { ++refused; }
  std::atomic<std::size_t> durable{0}, refused{0};
};

class CountingEvents final : public EventSink {
 public:
  void on_event(const Event& event) override {
    if (std::holds_alternative<BidAccepted>(event.body)) ++bids;
  }
  std::size_t bids = 0;
};

std::vector<std::string> records_of(const Journal& journal) {
  std::vector<std::string> out;
  REQUIRE(journal
              .scan(1,
                    [&](Seq, std::string_view record) {
                      out.emplace_back(record);
                      return true;
                    })
              .is_ok());
  return out;
}

// The leader: a real pipeline on a real journal, replicated; `bids` bids on one open lot.
struct Leader {
  Leader(NatsLink& link, const std::string& directory)
      : journal(open_journal(directory)),
        writer(link, kShard, "leader"),
        replicated(
            *journal, writer, 1, [] { return true; }, 5'000),
        clock(auction::testing::kT0),
        pipeline(engine, replicated, clock, sink, journal->chain().digest) {
    std::uint64_t fence = 0;
    REQUIRE(writer.fence(1, fence).is_ok());
    pipeline.start(false);
  }
  ~Leader() { pipeline.stop(); }
  void run_sale(int bids) {
    LotConfig lot = auction::testing::lot_config();
    lot.starts_at_ms = auction::testing::kT0;
    lot.timed_ms = 3'600'000;
    REQUIRE(pipeline.submit(CreateLot{lot}, 1));
    for (int i = 0; i < bids; ++i) {
      const auto bidder = auction::testing::user(i % 2 ? "alice" : "bob");
      REQUIRE(pipeline.submit(PlaceBid{lot.id, bidder, 100 + 10 * i}, 2 + i));
    }
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (sink.durable < static_cast<std::size_t>(bids + 1) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
    REQUIRE(sink.durable == static_cast<std::size_t>(bids + 1));
  }

  std::unique_ptr<Journal> journal;
  StreamWriter writer;
  ReplicatedJournal replicated;
  ManualClock clock;
  Engine engine;
  CountingSink sink;
  Pipeline pipeline;
};

}  // namespace

TEST_SUITE("cluster") {
  TEST_CASE("followers hold the leader's journal and state, whenever they start reading") {
    NatsCluster nats;
    TempDir dir;
    auto link = linked(nats);
    Leader leader(*link, dir.sub("leader"));
    leader.run_sale(200);

    // One follower from the start, one that restarts half-way (it re-reads what it has).
    auto journal_b = open_journal(dir.sub("b"));
    Engine engine_b;
    CountingEvents events_b;
    Follower b(*link, kShard, *journal_b, engine_b, &events_b);
    REQUIRE(b.start(1).is_ok());
    std::uint64_t tail = 0;
    REQUIRE(link->last_sequence(kShard, tail).is_ok());
    REQUIRE(b.catch_up_to(tail / 2, 10'000).is_ok());
    Follower b_again(*link, kShard, *journal_b, engine_b, &events_b);
    REQUIRE(b_again.start(1).is_ok());  // from the beginning: everything held is checked, skipped
    const Status caught_up = b_again.catch_up_to(tail, 10'000);
    REQUIRE_MESSAGE(caught_up.is_ok(), caught_up.message());
    CHECK(b_again.last_fence().node == "leader");

    leader.pipeline.stop();
    CHECK(records_of(*journal_b) == records_of(*leader.journal));
    CHECK(journal_b->chain().digest == leader.journal->chain().digest);
    CHECK(engine_b.state_digest() == leader.engine.state_digest());
    CHECK(events_b.bids > 0);
  }

  TEST_CASE("a local journal that disagrees with the stream is refused, nothing written") {
    NatsCluster nats;
    TempDir dir;
    auto link = linked(nats);
    Leader leader(*link, dir.sub("leader"));
    leader.run_sale(5);
    std::uint64_t tail = 0;
    REQUIRE(link->last_sequence(kShard, tail).is_ok());

    // A node whose journal holds another history (a lot of its own at seq 1).
    auto other = open_journal(dir.sub("other"));
    {
      Engine engine;
      ManualClock clock(auction::testing::kT0);
      CountingSink sink;
      Pipeline own(engine, *other, clock, sink, other->chain().digest);
      own.start(false);
      LotConfig lot = auction::testing::lot_config("elsewhere");
      REQUIRE(own.submit(CreateLot{lot}, 1));
      own.stop();
    }
    const Seq before = other->last_seq();
    Engine engine;
    Follower follower(*link, kShard, *other, engine, nullptr);
    REQUIRE(follower.start(1).is_ok());
    const Status refused = follower.catch_up_to(tail, 5'000);
    CHECK(refused.code() == Status::Code::corruption);
    CHECK(refused.message().find("disagrees with the stream at seq") != std::string::npos);
    CHECK(other->last_seq() == before);
  }
}
