// A replicated shard under the failures of SPEC §11 besides a killed leader: a leader frozen past
// its lease and woken again, a nats-server killed and restarted under bids, a lot whose deadline
// falls while the shard has no leader.
#include <doctest/doctest.h>

#include <dirent.h>

#include <fstream>

#include "../support/small_disk.h"
#include "shard_fixture.h"

using namespace auction;
using namespace auction::testing;
using namespace std::chrono_literals;

namespace {

// Bids the lowest admissible amount through `bidder`; an accepted bid is recorded.
std::optional<std::string> bid_next(Bidder& bidder, std::int64_t& next,
                                    std::vector<Accepted>& accepted) {
  auto answer = bidder.bid("hot", next);
  if (!answer) return answer;
  const Message message(answer);
  if (message.str("type") == "accepted") {
    accepted.push_back(Accepted{static_cast<Seq>(message.num("seq")), next, bidder.user});
  }
  if (message.num("min_next") > 0) next = message.num("min_next");
  return answer;
}

// The records of a set-aside tail.bin (u32 length + bytes each) under `data_dir`.
std::vector<std::string> set_aside_records(const std::string& data_dir) {
  std::vector<std::string> records;
  DIR* dir = opendir(data_dir.c_str());
  if (dir == nullptr) return records;
  while (const dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (!name.starts_with("set-aside-")) continue;
    std::ifstream in(data_dir + "/" + name + "/tail.bin", std::ios::binary);
    std::uint32_t length = 0;
    while (in.read(reinterpret_cast<char*>(&length), sizeof(length))) {
      std::string record(length, '\0');
      in.read(record.data(), length);
      records.push_back(record);
    }
  }
  closedir(dir);
  return records;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int other_than(int a, int b = -1) {
  for (int i = 0; i < Shard::kNodes; ++i) {
    if (i != a && i != b) return i;
  }
  return -1;
}

}  // namespace

TEST_SUITE("shard") {
  TEST_CASE("a leader frozen past its lease acknowledges nothing after the takeover") {
    Shard shard;
    const int old_leader = shard.leader();
    REQUIRE(old_leader >= 0);
    const int follower = other_than(old_leader);
    Bidder alice{"alice", create_user(*shard.nodes[old_leader], "alice"), nullptr};
    Bidder bob{"bob", create_user(*shard.nodes[old_leader], "bob"), nullptr};
    Bidder carol{"carol", create_user(*shard.nodes[old_leader], "carol"), nullptr};
    create_open_lot(*shard.nodes[old_leader], "hot");
    REQUIRE(alice.connect(*shard.nodes[old_leader]));
    REQUIRE(bob.connect(*shard.nodes[follower]));
    REQUIRE(carol.connect(*shard.nodes[other_than(old_leader, follower)]));
    std::vector<Accepted> accepted;
    std::int64_t next = 1000;
    for (int i = 0; i < 5; ++i) {
      bid_next(alice, next, accepted);
      bid_next(bob, next, accepted);
    }
    REQUIRE(accepted.size() == 10);

    shard.nodes[old_leader]->pause();  // SIGSTOP, past the lease
    // alice's next bid waits in the frozen leader's socket.
    const std::int64_t alice_amount = next + 1000;
    alice.ws->send(R"({"type":"bid","lot":"hot","amount":)" + std::to_string(alice_amount) + "}");
    int new_leader = -1;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (new_leader < 0 && std::chrono::steady_clock::now() < deadline) {
      for (int i = 0; i < Shard::kNodes; ++i) {
        if (i != old_leader && shard.nodes[i]->leads()) new_leader = i;
      }
      std::this_thread::sleep_for(20ms);
    }
    REQUIRE(new_leader >= 0);
    for (int i = 0; i < 2; ++i) {  // the new leader takes bids, through both live nodes
      bid_next(carol, next, accepted);
      bid_next(bob, next, accepted);
    }
    CHECK(accepted.size() == 14);

    shard.nodes[old_leader]->resume();  // SIGCONT: it learns it was deposed
    // Whatever it answers alice now must be in the new leader's stream.
    if (const auto late = alice.ws->receive(15s)) {
      const Message message(late);
      if (message.str("type") == "accepted") {
        accepted.push_back(Accepted{static_cast<Seq>(message.num("seq")), alice_amount, "alice"});
      }
      MESSAGE("the woken leader answered: " << *late);
    }
    // It restarts as a follower (re-executing itself on the same ports) and catches up.
    std::this_thread::sleep_for(3s);
    REQUIRE(alice.connect(*shard.nodes[follower]));
    bid_next(alice, next, accepted);
    CHECK(shard.settle_and_stop());
    check_shard_agrees(shard, accepted);
    // Its set-aside tail holds only records the stream never took (the stream has another record
    // at that seq), and no accepted answer was given for any of them.
    std::size_t set_aside = 0;
    const auto records = journal_records(shard.nodes[new_leader]->data_dir());
    for (const std::string& record : set_aside_records(shard.nodes[old_leader]->data_dir())) {
      ++set_aside;
      const Seq seq = persistence::record_seq(record);
      const auto found = records.find(seq);
      CHECK_MESSAGE((found == records.end() || found->second != record),
                    "set-aside seq " << seq << " is in the stream");
      Command command;
      REQUIRE(persistence::decode_record(record, command).is_ok());
      const auto* placed = std::get_if<PlaceBid>(&command.body);
      // A forwarded bid the frozen leader journaled is sent again to the new leader, which may
      // sequence it at the same seq: that answer is the stream's record, not the set-aside one.
      Command in_stream;
      const auto* streamed =
          found != records.end() && persistence::decode_record(found->second, in_stream).is_ok()
              ? std::get_if<PlaceBid>(&in_stream.body)
              : nullptr;
      const bool stream_has_it = placed != nullptr && streamed != nullptr &&
                                 streamed->bidder == placed->bidder &&
                                 streamed->amount_minor == placed->amount_minor;
      for (const Accepted& bid : accepted) {
        const bool same = placed != nullptr && bid.seq == seq &&
                          bid.amount == placed->amount_minor && bid.bidder == placed->bidder.view();
        CHECK_MESSAGE((!same || stream_has_it),
                      "set-aside seq " << seq << " was answered accepted");
      }
    }
    MESSAGE(set_aside << " records set aside by the woken leader");
  }

  TEST_CASE("a nats-server killed under bids: bidding goes on, and restarted it catches up") {
    Shard shard;
    const int leader = shard.leader();
    REQUIRE(leader >= 0);
    Bidder alice{"alice", create_user(*shard.nodes[leader], "alice"), nullptr};
    Bidder bob{"bob", create_user(*shard.nodes[leader], "bob"), nullptr};
    create_open_lot(*shard.nodes[leader], "hot");
    REQUIRE(alice.connect(*shard.nodes[other_than(leader)]));
    REQUIRE(bob.connect(*shard.nodes[leader]));
    std::vector<Accepted> accepted;
    std::int64_t next = 1000;
    // Bids in turns until `want` are accepted and `at_least` has passed, or until `budget` has
    // passed; a bidder whose connection died goes to the node that leads now. Returns how many
    // were accepted.
    const auto duel = [&](std::size_t want, std::chrono::seconds at_least,
                          std::chrono::seconds budget) {
      const auto started = std::chrono::steady_clock::now();
      const std::size_t before = accepted.size();
      const auto elapsed = [&] { return std::chrono::steady_clock::now() - started; };
      while ((accepted.size() - before < want || elapsed() < at_least) && elapsed() < budget) {
        for (Bidder* bidder : {&alice, &bob}) {
          if (!bid_next(*bidder, next, accepted)) {
            const int node = shard.leader(10s);
            if (node >= 0) bidder->connect(*shard.nodes[node]);
          }
        }
        std::this_thread::sleep_for(20ms);  // a duel, not a flood: the journals stay short
      }
      const std::size_t got = accepted.size() - before;
      MESSAGE(got << " bids accepted in " << seconds_since(started) << " s");
      return got;
    };
    CHECK(duel(20, 0s, 30s) >= 20);
    shard.nats.kill(1);  // one of three: the quorum of two remains
    // Bidding on past the streams' elections (some seconds; the lease may move meanwhile).
    CHECK(duel(20, 10s, 60s) >= 20);
    shard.nats.start(1);
    CHECK(duel(10, 3s, 60s) >= 10);
    const auto settling = std::chrono::steady_clock::now();
    CHECK(shard.settle_and_stop());
    MESSAGE("settled and stopped in " << seconds_since(settling) << " s");
    check_shard_agrees(shard, accepted);
  }

  TEST_CASE("a deadline that falls while the shard has no leader gets the outage rule") {
    Shard shard;
    const int leader = shard.leader();
    REQUIRE(leader >= 0);
    // Extension-only, 800 ms: its deadline falls after the kill (100 ms after the creation) and
    // before any takeover can: a follower takes the lease once it lapses, its lifetime (1,500 ms)
    // after the last renewal, at most a quarter of it before the kill. With 1.5 s here the
    // deadline could fall after a quick takeover, and the lot rightly closed (a CI dry run).
    ensure_seller(*shard.nodes[leader]);
    const auto reply = shard.nodes[leader]->admin(
        "POST", "/v1/lots",
        R"({"lots":[{"id":"brief","title":"Brief lot","seller":"gallery","currency":"EUR",)"
        R"("start_price":1000,"increment":10,"starts_in_ms":0,"timed_ms":0,"extension_ms":800}]})");
    REQUIRE_MESSAGE(reply.status == 201, reply.body);
    const int follower = other_than(leader);
    std::this_thread::sleep_for(100ms);
    shard.nodes[leader]->kill_hard();
    const auto killed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    REQUIRE(shard.leader(20s) >= 0);
    // A node reports that it leads once its pipeline runs, a moment before its Restart record
    // (the outage rule) is durable and has reached every node: look until it has, never closed.
    const auto until = std::chrono::steady_clock::now() + 5s;
    std::string phase;
    std::int64_t deadline_ms = 0;
    do {
      WsClient watcher("127.0.0.1", shard.nodes[follower]->port);
      watcher.send(R"({"type":"subscribe","lot":"brief"})");
      const Message snapshot(watcher.receive(5s));
      phase = snapshot.str("phase");
      deadline_ms = snapshot.num("deadline_ms");
      REQUIRE_MESSAGE(phase != "closed", "the lot closed in the outage");
      if (deadline_ms < killed_ms + 60'000) std::this_thread::sleep_for(50ms);
    } while (deadline_ms < killed_ms + 60'000 && std::chrono::steady_clock::now() < until);
    // Not closed: in its extension phase with a deadline at least a minute after the takeover.
    CHECK(phase == "extension");
    CHECK(deadline_ms >= killed_ms + 60'000);
  }
}

TEST_SUITE("shard") {
  TEST_CASE(
      "a leader whose disk is full hands over, and resumes as a follower once there is room") {
    SmallDisk disk(48);
    Shard shard(disk.path + "/node-0");  // node-0 leads, on the small disk
    Bidder alice{"alice", create_user(*shard.nodes[0], "alice"), nullptr};
    Bidder bob{"bob", create_user(*shard.nodes[0], "bob"), nullptr};
    create_open_lot(*shard.nodes[0], "hot");
    REQUIRE(alice.connect(*shard.nodes[1]));
    REQUIRE(bob.connect(*shard.nodes[2]));
    std::vector<Accepted> accepted;
    std::int64_t next = 1000;
    for (int i = 0; i < 5; ++i) {
      bid_next(alice, next, accepted);
      bid_next(bob, next, accepted);
    }
    REQUIRE(accepted.size() == 10);

    disk.fill();
    const auto filled_at = std::chrono::steady_clock::now();
    const std::size_t before = accepted.size();
    // Bids go on through the followers: node-0 refuses (`unavailable`), then hands the lease
    // over. Paced: a bidder is rate-limited like any other.
    while (accepted.size() < before + 4 && std::chrono::steady_clock::now() - filled_at < 30s) {
      bid_next(alice, next, accepted);
      bid_next(bob, next, accepted);
      std::this_thread::sleep_for(100ms);
    }
    CHECK(accepted.size() >= before + 4);
    const int leader = shard.leader();
    CHECK(leader > 0);
    MESSAGE("bids accepted again "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - filled_at).count()
            << " s after node-0's disk filled; node-" << leader << " leads");
    disk.free_filler();
    for (int i = 0; i < 5; ++i) {
      bid_next(alice, next, accepted);
      bid_next(bob, next, accepted);
    }
    CHECK(shard.settle_and_stop());  // node-0 caught up as a follower
    check_shard_agrees(shard, accepted);
  }
}
