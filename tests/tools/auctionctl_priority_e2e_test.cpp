// Priority purchasers end to end (SPEC §4.3, §7, §8, §9): `auctionctl users priority` on a
// scheduled lot, `lots show` listing the grants, a match at the price over WebSocket (answer,
// event and each bidder's snapshot), maximum bids refused, the confirmation naming the right,
// and auction-replay's export and report marking the match. Every bad grant is refused with a
// clear line and changes nothing.
#include <doctest/doctest.h>

#include "auctionctl_support.h"

using namespace auction;
using namespace auction::testing;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<Message> snapshot(WsClient& client, const std::string& lot, const std::string& id) {
  return answer_to(client, R"({"type":"subscribe","lot":")" + lot + R"(","id":")" + id + R"("})",
                   id);
}

// A lot that opens two seconds from now, so that grants can be given first.
void create_scheduled(const Auctiond& server, const std::string& id) {
  ok(ctl(server,
         create_args(id, {{"--starts-at", "now+2s"}, {"--timed", "3s"}, {"--extension", "0"}})));
}

std::vector<std::string> grant(const std::string& bidder, const std::string& lot,
                               const std::string& rank) {
  return {"users", "priority", bidder, "--lot", lot, "--rank", rank};
}

}  // namespace

TEST_CASE("priority purchasers: a match at the price, from the grant to the confirmation") {
  Auctiond server;
  create_scheduled(server, "flat");
  const Run granted = ok(ctl(server, grant("carol", "flat", "1")));
  CHECK_MESSAGE(contains(granted.out, "carol holds a priority right of rank 1 on lot flat"),
                describe(granted));
  ok(ctl(server, grant("bob", "flat", "2")));
  const Message shown = json(ctl(server, {"lots", "show", "flat", "--json"}));
  const auto grants = items(shown.root(), "priority");
  REQUIRE(grants.size() == 2);
  CHECK(text(grants[0], "bidder") == "carol");
  CHECK(integer(grants[0], "rank") == 1);
  CHECK(boolean(shown.root(), "max_bids") == "false");
  const Run table = ok(ctl(server, {"lots", "show", "flat"}));
  CHECK_MESSAGE(has_line_with(table.out, {"priority purchasers", "carol (rank 1)", "bob (rank 2)"}),
                describe(table));

  auto alice = server.login("alice");
  auto bob = server.login("bob");
  auto carol = server.login("carol");
  REQUIRE(wait_for_phase(server, "flat", "timed") == "timed");
  // Each bidder sees its own right only; the lot refuses maximum bids.
  const auto mine = snapshot(*carol, "flat", "s-carol");
  CHECK(mine->num("priority") == 1);
  CHECK(boolean(mine->root(), "max_bids") == "false");
  CHECK(snapshot(*alice, "flat", "s-alice")->is_null("priority"));
  auto watcher = server.login("alice");  // reads nothing but events until the end
  snapshot(*watcher, "flat", "s-watcher");

  CHECK(answer_to(*alice, bid_request("flat", 1000, "a1"), "a1")->str("type") == "accepted");
  const auto match = answer_to(*bob, bid_request("flat", 1000, "b1"), "b1");  // rank 2 matches
  REQUIRE_MESSAGE(match->str("type") == "accepted", match->text());
  CHECK(boolean(match->root(), "match") == "true");
  CHECK(boolean(match->root(), "leading") == "true");
  CHECK(match->num("price") == 1000);
  const auto better = answer_to(*carol, bid_request("flat", 1000, "c1"), "c1");  // rank 1
  REQUIRE_MESSAGE(better->str("type") == "accepted", better->text());
  CHECK(boolean(better->root(), "match") == "true");
  const auto worse = answer_to(*bob, bid_request("flat", 1000, "b2"), "b2");
  CHECK(worse->str("type") == "rejected");
  CHECK(worse->str("code") == "below_minimum");
  CHECK(worse->num("min_next") == 1100);
  CHECK(answer_to(*alice, bid_request("flat", 1000, "a2"), "a2")->str("code") == "below_minimum");
  const auto max =
      answer_to(*alice, R"({"type":"max_bid","lot":"flat","max":5000,"id":"a3"})", "a3");
  CHECK(max->str("code") == "max_bid_not_allowed");
  // The watcher's events mark both matches.
  std::size_t marked = 0;
  while (auto event = watcher->receive(300ms))
    marked += event->find("\"match\":true") != std::string::npos;
  CHECK(marked == 2);

  REQUIRE(wait_for_phase(server, "flat", "closed") == "closed");
  const Message confirmation = json(ctl(server, {"lots", "confirmation", "flat", "--json"}));
  CHECK(confirmation.str("winner") == "carol");
  CHECK(confirmation.num("price") == 1000);
  CHECK(confirmation.num("priority_rank") == 1);
  const Run printed = ok(ctl(server, {"lots", "confirmation", "flat"}));
  CHECK_MESSAGE(contains(printed.out, "bought under a priority right (rank 1"), describe(printed));

  const auto replay = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {AUCTION_REPLAY, "--data-dir", server.data_dir});
    return run_command(args);
  };
  const CommandResult exported = replay({"export", "--lot", "flat", "--format", "jsonl"});
  REQUIRE_MESSAGE(exported.exit_code == 0, exported.err);
  CHECK(std::count_if(exported.out.begin(), exported.out.end(), [](char c) { return c == '\n'; }) >
        5);
  std::size_t matches = 0;
  for (std::size_t at = exported.out.find("\"match\":true"); at != std::string::npos;
       at = exported.out.find("\"match\":true", at + 1)) {
    ++matches;
  }
  CHECK(matches == 2);
  const CommandResult report = replay({"report", "--lot", "flat"});
  REQUIRE_MESSAGE(report.exit_code == 0, report.err);
  CHECK_MESSAGE(has_line_with(report.out, {"priority matches", "2"}), report.out);
  CHECK_MESSAGE(contains(report.out, "sold to carol under a priority right (rank 1)"), report.out);
}

TEST_CASE("bad priority grants: a clear line, the right exit code, nothing granted") {
  Auctiond server;
  create_scheduled(server, "flat");
  const auto grants_of = [&] {
    return items(json(ctl(server, {"lots", "show", "flat", "--json"})).root(), "priority").size();
  };
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    const char* says;
  };
  const Case cases[] = {
      {grant("nobody", "flat", "1"), 1, "existing user with the bidder role"},
      {grant("gallery", "flat", "1"), 1, "existing user with the bidder role"},  // a seller
      {grant("alice", "flat", "0"), 2, "--rank"},
      {grant("alice", "flat", "100"), 2, "--rank"},
      {grant("alice", "flat", "1.5"), 2, "--rank"},
      {grant("alice", "nolot", "1"), 1, "no such lot"},
      {{"users", "priority", "alice", "--lot", "flat"}, 2, "--rank"},
  };
  for (const Case& bad : cases) {
    const Run run = ctl(server, bad.args);
    CAPTURE(describe(run));
    check_error(run, bad.exit_code);
    CHECK(contains(run.err, bad.says));
  }
  CHECK(grants_of() == 0);
  REQUIRE(wait_for_phase(server, "flat", "timed") == "timed");
  const Run late = ctl(server, grant("alice", "flat", "1"));
  check_error(late, 1);
  CHECK_MESSAGE(contains(late.err, "only while the lot is scheduled"), describe(late));
  CHECK(grants_of() == 0);
}

TEST_CASE("a maximum stays private: exports and logs never show it, but its bidder's own export") {
  Auctiond server;
  ok(ctl(server, create_args("urn")));
  auto alice = server.login("alice");
  auto bob = server.login("bob");
  const auto max_bid = [](const std::string& max, const std::string& id) {
    return R"({"type":"max_bid","lot":"urn","max":)" + max + R"(,"id":")" + id + R"("})";
  };
  REQUIRE(answer_to(*alice, max_bid("987654", "a1"), "a1")->str("type") == "accepted");
  const auto second = answer_to(*bob, max_bid("876543", "b1"), "b1");
  REQUIRE(second->str("type") == "accepted");
  CHECK(second->num("price") == 876'600);  // alice's maximum answers one rung above bob's reach

  const auto replay = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {AUCTION_REPLAY, "--data-dir", server.data_dir});
    const CommandResult result = run_command(args);
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    return result.out;
  };
  for (const char* format : {"csv", "jsonl"}) {
    CAPTURE(format);
    const std::string all = replay({"export", "--format", format});
    CHECK(contains(all, "876600"));
    CHECK_FALSE(contains(all, "987654"));
    CHECK_FALSE(contains(all, "876543"));
    const std::string alices = replay({"export", "--format", format, "--bidder", "alice"});
    CHECK(contains(alices, "987654"));
    CHECK_FALSE(contains(alices, "876543"));
    CHECK_FALSE(contains(alices, "bob"));
    const std::string bobs = replay({"export", "--format", format, "--bidder", "bob"});
    CHECK(contains(bobs, "876543"));
    CHECK_FALSE(contains(bobs, "987654"));
  }
  const std::string report = replay({"report", "--lot", "urn"});
  CHECK_FALSE(contains(report, "9,876.54"));
  CHECK_FALSE(contains(report, "8,765.43"));
  // Nor does anything the server logs, from start to shutdown.
  REQUIRE(server.stop() == 0);
  std::string logged;
  while (const auto line = server.next_line(200ms))
    logged += *line + "\n";
  CHECK_FALSE(contains(logged, "987654"));
  CHECK_FALSE(contains(logged, "876543"));
}
