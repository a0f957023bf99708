// Replication's building blocks against a real three-node NATS JetStream cluster on loopback
// (SPEC §11): the stream and its shard check, the lease, fenced publishing, a lost nats-server.
#include <doctest/doctest.h>

#include <thread>

#include "auction/cluster/lease.h"
#include "auction/cluster/stream_writer.h"
#include "nats_cluster.h"

using namespace auction;
using namespace auction::cluster;
using auction::testing::NatsCluster;
using namespace std::chrono_literals;

namespace {

const ShardNames kShard("s1");

NatsOptions options_for(const NatsCluster& nats, const std::string& node) {
  NatsOptions options;
  options.urls = nats.urls();
  options.client_name = "test " + node;
  options.request_timeout_ms = 2'000;
  return options;
}

// A node's link with the shard's stream ready (a fresh cluster needs a moment for its leaders).
std::unique_ptr<NatsLink> linked(const NatsCluster& nats, const std::string& node) {
  auto link = std::make_unique<NatsLink>();
  REQUIRE_MESSAGE(link->connect(options_for(nats, node)).is_ok(), node);
  const Status ready = link->ensure_stream(kShard, 20'000);
  REQUIRE_MESSAGE(ready.is_ok(), ready.message());
  return link;
}

// A local journal stand-in that counts what the replicated journal asked of it.
class CountingJournal final : public persistence::JournalBackend {
 public:
  Status write(const persistence::JournalBatch&) override {
    ++writes;
    return Status::ok();
  }
  Status sync() override {
    ++syncs;
    return Status::ok();
  }
  int writes = 0, syncs = 0;
};

persistence::JournalBatch batch_of(const std::vector<std::string_view>& records, Seq last_seq) {
  persistence::JournalBatch batch;
  batch.records = records;
  batch.last_seq = last_seq;
  batch.chain_after[0] = static_cast<std::uint8_t>(last_seq);
  return batch;
}

}  // namespace

TEST_SUITE("cluster") {
  TEST_CASE("stream records: batches and fences round-trip, and damage is refused with its cause") {
    std::string record;
    begin_batches(record);
    const std::vector<std::string_view> first = {"one", "two"};
    const std::vector<persistence::ChainPoint> marks = {{2, {7}}};
    auto a = batch_of(first, 2);
    a.marks = marks;
    append_batch(record, a);
    const std::vector<std::string_view> second = {std::string_view("\0three", 6)};
    append_batch(record, batch_of(second, 3));
    finish_batches(record);

    StreamRecord decoded;
    REQUIRE(decode_stream_record(record, decoded).is_ok());
    const auto& batches = std::get<std::vector<StreamBatch>>(decoded);
    REQUIRE(batches.size() == 2);
    CHECK(batches[0].last_seq == 2);
    CHECK(batches[0].records == std::vector<std::string>{"one", "two"});
    CHECK(batches[0].marks.size() == 1);
    CHECK(batches[0].marks[0].digest[0] == 7);
    CHECK(batches[1].records[0] == std::string("\0three", 6));
    CHECK(batches[1].chain_after[0] == 3);

    REQUIRE(decode_stream_record(encode_fence(Fence{42, "node-b"}), decoded).is_ok());
    CHECK(std::get<Fence>(decoded).term == 42);
    CHECK(std::get<Fence>(decoded).node == "node-b");

    for (std::size_t at : {std::size_t{0}, std::size_t{3}, record.size() / 2, record.size() - 1}) {
      std::string damaged = record;
      damaged[at] = static_cast<char>(damaged[at] ^ 0x20);
      const Status refused = decode_stream_record(damaged, decoded);
      CHECK(refused.code() == Status::Code::corruption);
      CHECK(refused.message().find("checksum") != std::string::npos);
    }
    CHECK(decode_stream_record(record.substr(0, 5), decoded).code() == Status::Code::corruption);
  }

  TEST_CASE("NATS unreachable at start is a clear error naming the servers, not a lone start") {
    NatsLink link;
    NatsOptions options;
    options.urls = {"nats://127.0.0.1:" + std::to_string(auction::testing::free_port())};
    options.connect_timeout_ms = 600;
    const Status status = link.connect(options);
    CHECK(status.code() == Status::Code::unavailable);
    CHECK(status.message().find(options.urls[0]) != std::string::npos);
  }

  TEST_CASE("one writer: the lease is taken once, renewed by its holder, and lapses to another") {
    NatsCluster nats;
    auto link_a = linked(nats, "a");
    auto link_b = linked(nats, "b");
    Lease a(*link_a, kShard, LeaseOptions{"a", 1'500, 400});
    Lease b(*link_b, kShard, LeaseOptions{"b", 1'500, 400});
    REQUIRE(a.open().is_ok());
    REQUIRE(b.open().is_ok());

    REQUIRE(a.take().is_ok());
    CHECK(a.valid());
    const Status refused = b.take();
    CHECK(refused.code() == Status::Code::unavailable);
    CHECK(refused.message().find("held by a") != std::string::npos);
    CHECK_FALSE(b.valid());
    for (int i = 0; i < 4; ++i) {  // renewed well inside its lifetime, a holds it past it
      std::this_thread::sleep_for(400ms);
      REQUIRE(a.renew().is_ok());
      CHECK(b.take().code() == Status::Code::unavailable);
    }
    // a stops renewing (a dead or frozen leader): its own view ends first, then the key lapses.
    const auto stopped = std::chrono::steady_clock::now();
    while (a.valid())
      std::this_thread::sleep_for(10ms);
    CHECK(std::chrono::steady_clock::now() - stopped <= 1'200ms);
    bool taken = false;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!taken && std::chrono::steady_clock::now() < deadline) {
      taken = b.take().is_ok();
      if (!taken) std::this_thread::sleep_for(50ms);
    }
    REQUIRE(taken);
    CHECK(std::chrono::steady_clock::now() - stopped >= 1'100ms);  // never before a's view ended
    std::string holder;
    REQUIRE(b.holder(holder).is_ok());
    CHECK(holder == "b");
    // The former holder cannot renew over the new one (compare-and-set on its old revision).
    CHECK_FALSE(a.renew().is_ok());
    CHECK_FALSE(a.valid());
    REQUIRE(b.holder(holder).is_ok());
    CHECK(holder == "b");
    // A clean hand-over: release() frees the key at once.
    b.release();
    CHECK(a.take().is_ok());
  }

  TEST_CASE("a deposed writer is refused by the stream, and a retried batch is stored once") {
    NatsCluster nats;
    auto link_a = linked(nats, "a");
    auto link_b = linked(nats, "b");
    StreamWriter writer_a(*link_a, kShard, "a");
    StreamWriter writer_b(*link_b, kShard, "b");
    CountingJournal local_a, local_b;
    ReplicatedJournal journal_a(
        local_a, writer_a, 1, [] { return true; }, 1'000);
    ReplicatedJournal journal_b(
        local_b, writer_b, 2, [] { return true; }, 1'000);

    std::uint64_t fence_a = 0;
    REQUIRE(writer_a.fence(1, fence_a).is_ok());
    CHECK(fence_a == 2);  // after the genesis record
    const std::vector<std::string_view> bids = {"bid-1", "bid-2"};
    REQUIRE(journal_a.write(batch_of(bids, 2)).is_ok());
    REQUIRE(journal_a.sync().is_ok());
    CHECK(local_a.syncs == 1);
    CHECK(writer_a.last_sequence() == 3);

    // b takes over: its fence lands after a's last acknowledged batch.
    std::uint64_t fence_b = 0;
    REQUIRE(writer_b.fence(2, fence_b).is_ok());
    CHECK(fence_b == 4);
    // a, not knowing yet, makes a batch durable locally; the stream refuses it.
    const std::vector<std::string_view> late = {"bid-3"};
    REQUIRE(journal_a.write(batch_of(late, 3)).is_ok());
    const Status refused = journal_a.sync();
    CHECK(refused.code() == Status::Code::unavailable);
    CHECK(refused.message().find("another node leads") != std::string::npos);
    CHECK(writer_a.deposed());
    CHECK(local_a.syncs == 2);  // it was fsync'd locally: a tail to set aside, never acknowledged
    REQUIRE(journal_a.write(batch_of(late, 3)).is_ok());
    CHECK_FALSE(journal_a.sync().is_ok());  // and every later one

    // b's batch is stored; the same message (a retry after a lost acknowledgement) is not again.
    const std::vector<std::string_view> next = {"bid-3b"};
    REQUIRE(journal_b.write(batch_of(next, 3)).is_ok());
    REQUIRE(journal_b.sync().is_ok());
    std::uint64_t last = 0;
    REQUIRE(link_b->last_sequence(kShard, last).is_ok());
    CHECK(last == 5);
    std::string payload;
    begin_batches(payload);
    append_batch(payload, batch_of(next, 3));
    finish_batches(payload);
    // The same id as journal_b's publish ("2.3"): stored once.
    REQUIRE(writer_b.publish(payload, "2.3", std::chrono::steady_clock::now() + 1s).is_ok());
    REQUIRE(link_b->last_sequence(kShard, last).is_ok());
    CHECK(last == 5);

    // What the stream holds, in order: genesis, a's fence, a's batch, b's fence, b's batch.
    std::vector<std::string> kinds;
    for (std::uint64_t seq = 2; seq <= 5; ++seq) {
      natsMsg* message = nullptr;
      jsErrCode code{};
      REQUIRE(js_GetMsg(&message, link_b->jetstream(), kShard.stream.c_str(), seq, nullptr,
                        &code) == NATS_OK);
      StreamRecord record;
      REQUIRE(decode_stream_record(
                  std::string_view(natsMsg_GetData(message),
                                   static_cast<std::size_t>(natsMsg_GetDataLength(message))),
                  record)
                  .is_ok());
      natsMsg_Destroy(message);
      if (const auto* fence = std::get_if<Fence>(&record)) {
        kinds.push_back("fence " + fence->node);
      } else {
        kinds.push_back(std::get<std::vector<StreamBatch>>(record)[0].records[0]);
      }
    }
    CHECK(kinds == std::vector<std::string>{"fence a", "bid-1", "fence b", "bid-3b"});
  }

  TEST_CASE("a stream of another shard is refused with its first record named") {
    NatsCluster nats;
    NatsLink link;
    REQUIRE(link.connect(options_for(nats, "a")).is_ok());
    const ShardNames other("s2");
    REQUIRE(link.ensure_stream(other, 20'000).is_ok());
    // A misconfigured node: shard s3's names, but the stream answering them is s2's.
    ShardNames wrong("s3");
    wrong.stream = other.stream;
    wrong.subject = other.subject;
    const Status refused = link.ensure_stream(wrong, 5'000);
    CHECK(refused.code() == Status::Code::invalid_argument);
    CHECK(refused.message().find("is not shard s3's") != std::string::npos);
    CHECK(refused.message().find("auction shard v1 s2") != std::string::npos);
  }

  TEST_CASE("losing one nats-server: publishing goes on with two of three") {
    NatsCluster nats;
    auto link = linked(nats, "a");
    StreamWriter writer(*link, kShard, "a");
    CountingJournal local;
    ReplicatedJournal journal(
        local, writer, 1, [] { return true; }, 10'000);
    std::uint64_t fence = 0;
    REQUIRE(writer.fence(1, fence).is_ok());
    std::vector<std::string> bodies;
    for (int i = 0; i < 60; ++i)
      bodies.push_back("bid-" + std::to_string(i));
    int acknowledged = 0;
    for (int i = 0; i < 60; ++i) {
      if (i == 20) nats.kill(0);  // whichever it was: the stream's leader or a follower
      const std::vector<std::string_view> records = {bodies[i]};
      REQUIRE(journal.write(batch_of(records, static_cast<Seq>(i + 1))).is_ok());
      const Status synced = journal.sync();
      REQUIRE_MESSAGE(synced.is_ok(), synced.message());
      ++acknowledged;
    }
    CHECK(acknowledged == 60);
    std::uint64_t last = 0;
    REQUIRE(link->last_sequence(kShard, last).is_ok());
    CHECK(last == fence + 60);  // every batch stored exactly once
  }
}
