// auctionctl (docs/AUCTIONCTL.md) end to end: the built binary against a real auctiond started
// with --demo (lots lamp, vase, clock, print; bidders alice, bob, carol). Every subcommand, the
// --json output, every exit code with its one line on stderr, and catalogue files. auctionctl
// finds the server through --data-dir (admin.url and admin.token), as on the server's machine.
#include <doctest/doctest.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "auction/persistence/chain_digest.h"
#include "auction/persistence/journal.h"
#include "auctionctl_support.h"
#include "catalogue_support.h"

using namespace auction::testing;
using namespace std::chrono_literals;
namespace persistence = auction::persistence;

namespace {

// ---------------------------------------------------------------------------------------------
// Bidders over WebSocket (ask, login, bid_request: auctionctl_support.h).

// Reads until the server closes the connection (at most 3 s); the close code it sent, 0 if none.
int close_code_when_closed(WsClient& client) {
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!client.receive(100ms) && !client.is_open()) break;
  }
  return client.close_code();
}

// ---------------------------------------------------------------------------------------------
// Files, times, digests.

// Unix epoch ms the way auctionctl's JSON spells them: "2026-11-22T10:00:39.836Z".
std::string iso_utc(std::int64_t ms) {
  const auto seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char date_time[32];
  std::strftime(date_time, sizeof(date_time), "%Y-%m-%dT%H:%M:%S", &utc);
  const std::string millis = std::to_string(ms % 1000);
  return std::string(date_time) + "." + std::string(3 - millis.size(), '0') + millis + "Z";
}

bool is_digest(const std::string& hex) {
  return hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

// The journal's chain digest after record `last`, recomputed from the records themselves: the
// check anyone holding the journal can make of a transaction confirmation. Read-only, beside
// the running server (LMDB readers do not disturb the writer).
std::string recompute_digest(const std::string& data_dir, auction::Seq last) {
  std::unique_ptr<persistence::Journal> journal;
  const auction::Status opened =
      persistence::Journal::open({data_dir + "/journal", std::size_t{1} << 30, true}, journal);
  REQUIRE_MESSAGE(opened.is_ok(), opened.message());
  REQUIRE(journal->first_seq() == 1);  // the chain starts from zero before record 1
  persistence::ChainDigest chain;
  auction::Seq folded = 0;
  const auction::Status scanned = journal->scan(1, [&](auction::Seq seq, std::string_view record) {
    if (seq > last) return false;
    chain.add(record);
    folded = seq;
    return true;
  });
  REQUIRE_MESSAGE(scanned.is_ok(), scanned.message());
  REQUIRE(folded == last);
  return persistence::to_hex(chain.value());
}

}  // namespace

// ---------------------------------------------------------------------------------------------

TEST_CASE("users: add, list, token and revoke (live sessions closed with 1008), and their errors") {
  Auctiond server;
  const Run dave = ok(ctl(server, {"users", "add", "dave"}));
  CHECK_MESSAGE(contains(dave.out, "token"), describe(dave));  // printed once, so it is shown

  const Message erin = json(ctl(server, {"users", "add", "erin", "--json"}));
  CHECK(erin.str("user") == "erin");
  CHECK(erin.str("role") == "bidder");
  REQUIRE(erin.has("token"));
  const std::string first_token = erin.str("token");
  CHECK_FALSE(first_token.empty());
  auto first_session = server.client();
  CHECK(login(*first_session, "erin", first_token).str("type") == "login_ok");

  check_error(ctl(server, {"users", "add", "dave"}), 1);  // exists

  {
    const Message listed = json(ctl(server, {"users", "list", "--json"}));
    const std::vector<dom::element> users = items(listed.root(), "users");
    for (const char* name : {"dave", "erin"}) {
      CAPTURE(name);
      const auto user = find_by(users, "user", name);
      REQUIRE(user.has_value());
      CHECK(text(*user, "role") == "bidder");
      CHECK(boolean(*user, "revoked") == "false");
    }
  }

  // A new token replaces the old one.
  const Message reissued = json(ctl(server, {"users", "token", "erin", "--json"}));
  CHECK(reissued.str("user") == "erin");
  const std::string second_token = reissued.str("token");
  CHECK_FALSE(second_token.empty());
  CHECK(second_token != first_token);
  CHECK(login(*server.client(), "erin", first_token).str("code") == "auth_failed");
  auto session = server.client();
  REQUIRE(login(*session, "erin", second_token).str("type") == "login_ok");

  // Revoking closes the live session and the token stops working.
  ok(ctl(server, {"users", "revoke", "erin"}));
  CHECK_MESSAGE(close_code_when_closed(*session) == 1008, session->last_error());
  CHECK(login(*server.client(), "erin", second_token).str("code") == "auth_failed");
  {
    const Message listed = json(ctl(server, {"users", "list", "--json"}));
    const auto revoked = find_by(items(listed.root(), "users"), "user", "erin");
    REQUIRE(revoked.has_value());
    CHECK(boolean(*revoked, "revoked") == "true");
  }

  check_error(ctl(server, {"users", "revoke", "nobody"}), 1);
  // A malformed id is bad input: refused before anything is sent.
  check_error(ctl(server, {"users", "add", "bad id!"}), 2);
  check_error(ctl(server, {"lots", "show", "x/y"}), 2);
}

TEST_CASE("lots create from flags, then show and list as JSON and as tables") {
  Auctiond server;
  const std::int64_t before = now_ms();
  // --seller gallery --currency EUR from create_args: every flag of `lots create` is given.
  std::vector<std::string> create = create_args("ring", {{"--title", "Gold ring"},
                                                         {"--start-price", "10000"},
                                                         {"--increment", "500"},
                                                         {"--timed", "1m"},
                                                         {"--extension", "30s"},
                                                         {"--starts-at", "now+1h"}});
  create.push_back("--json");
  const Message created = json(ctl(server, create));
  const std::int64_t after = now_ms();
  const std::vector<dom::element> created_lots = items(created.root(), "lots");
  REQUIRE(created_lots.size() == 1);
  CHECK(text(created_lots[0], "lot") == "ring");
  CHECK(text(created_lots[0], "phase") == "scheduled");

  const Message ring = json(ctl(server, {"lots", "show", "ring", "--json"}));
  CHECK(ring.str("lot") == "ring");
  CHECK(ring.str("title") == "Gold ring");
  CHECK(ring.str("phase") == "scheduled");
  CHECK(ring.is_null("price"));
  CHECK(ring.is_null("leader"));
  CHECK(ring.has("deadline_ms"));
  CHECK(ring.num("bids") == 0);
  CHECK(ring.num("start_price") == 10000);
  CHECK(ring.num("increment") == 500);
  const std::int64_t starts_at_ms = ring.num("starts_at_ms");
  CHECK(starts_at_ms >= before + 3'600'000 - 5'000);
  CHECK(starts_at_ms <= after + 3'600'000 + 5'000);
  CHECK(ring.str("starts_at") == iso_utc(starts_at_ms));  // the same instant, ISO 8601 UTC
  CHECK(items(ring.root(), "recent_bids").empty());

  const Run shown = ok(ctl(server, {"lots", "show", "ring"}));
  CHECK_MESSAGE(contains(shown.out, "100.00 EUR"), describe(shown));  // major units
  CHECK_MESSAGE(contains(shown.out, "ring"), describe(shown));
  CHECK_MESSAGE(contains(shown.out, "Gold ring"), describe(shown));

  const std::set<std::string> ids = lot_ids(server);
  for (const char* lot : {"ring", "lamp", "vase", "clock", "print"}) {
    CHECK_MESSAGE(ids.count(lot) == 1, lot);
  }
  const Run table = ok(ctl(server, {"lots", "list"}));
  CHECK_MESSAGE(has_line_with(table.out, {"LOT", "PHASE"}), describe(table));
  CHECK_MESSAGE(has_line_with(table.out, {"ring", "scheduled"}), describe(table));
}

TEST_CASE("lots edit changes a scheduled lot and is refused once the lot has started") {
  Auctiond server;
  ok(ctl(server, create_args("ring", {{"--start-price", "10000"},
                                      {"--increment", "500"},
                                      {"--starts-at", "now+1h"}})));
  ok(ctl(server, {"lots", "edit", "ring", "--title", "Gold ring, 18k", "--start-price", "12000"}));
  const Message ring = json(ctl(server, {"lots", "show", "ring", "--json"}));
  CHECK(ring.str("title") == "Gold ring, 18k");
  CHECK(ring.num("start_price") == 12000);
  CHECK(ring.num("reserve") == 12000);  // it was the default, so it follows the start price
  CHECK(ring.num("increment") == 500);  // fields not given keep their values
  CHECK(ring.str("phase") == "scheduled");

  ok(ctl(server, create_args("live")));  // starts now
  const Run late = ctl(server, {"lots", "edit", "live", "--title", "Too late"});
  check_error(late, 1);
  CHECK_MESSAGE((contains(late.err, "scheduled") || contains(late.err, "lot_not_editable")),
                describe(late));
  CHECK(json(ctl(server, {"lots", "show", "live", "--json"})).str("title") == "Lot live");

  check_error(ctl(server, {"lots", "edit", "ghost", "--title", "Nothing"}), 1);
}

TEST_CASE("lots pause, resume and cancel move the phase, and refuse from the wrong phase") {
  Auctiond server;
  ok(ctl(server, create_args("clock2", {{"--timed", "10m"}, {"--extension", "1m"}})));

  ok(ctl(server, {"lots", "pause", "clock2"}));
  CHECK(phase_of(server, "clock2") == "paused");
  check_error(ctl(server, {"lots", "pause", "clock2"}), 1);  // already paused
  // The countdown is frozen: the time left at the pause, the same a moment later.
  const std::int64_t frozen =
      json(ctl(server, {"lots", "show", "clock2", "--json"})).num("paused_remaining_ms");
  CHECK(frozen > 9 * 60'000);
  CHECK(frozen <= 10 * 60'000);
  std::this_thread::sleep_for(1100ms);
  CHECK(json(ctl(server, {"lots", "show", "clock2", "--json"})).num("paused_remaining_ms") ==
        frozen);
  const Run shown = ok(ctl(server, {"lots", "show", "clock2"}));
  CHECK_MESSAGE(has_line_with(shown.out, {"time left", "(frozen while paused)"}), describe(shown));

  ok(ctl(server, {"lots", "resume", "clock2"}));
  CHECK(phase_of(server, "clock2") == "timed");

  ok(ctl(server, {"lots", "cancel", "clock2"}));
  CHECK(phase_of(server, "clock2") == "cancelled");
  check_error(ctl(server, {"lots", "resume", "clock2"}), 1);  // a cancelled lot stays so
  CHECK(phase_of(server, "clock2") == "cancelled");
}

TEST_CASE("bad input exits 2 with one line on stderr, and nothing reaches the server") {
  Auctiond server;
  struct Fault {
    const char* flag;
    const char* value;  // "" leaves the flag out
  };
  const Fault faults[] = {
      {"--timed", "5x"},
      {"--timed", "1.5m"},
      {"--start-price", "12.5"},
      {"--start-price", "1e4"},
      {"--start-price", "-1"},
      {"--start-price", "1000000000000001"},  // above 10^15
      {"--starts-at", "yesterday"},
      {"--seller", ""},  // a required flag missing
  };
  for (const Fault& fault : faults) {
    CAPTURE(fault.flag);
    CAPTURE(fault.value);
    check_error(ctl(server, create_args("bad", {{fault.flag, fault.value}})), 2);
    CHECK_FALSE(lot_exists(server, "bad"));
  }
  // The same flags without a fault are accepted: each refusal above was its fault's.
  ok(ctl(server, create_args("bad")));
  CHECK(lot_exists(server, "bad"));
}

TEST_CASE("messages: a mistyped command named with a suggestion, --version, missing files said") {
  const Run typo = run_ctl({"lots", "creat"});
  check_error(typo, 2);
  CHECK_MESSAGE(contains(typo.err, "unknown command \"creat\" (did you mean \"create\"?)"),
                describe(typo));
  const Run group = run_ctl({"--json", "--data-dir", "somewhere", "userz", "list"});
  CHECK_MESSAGE(contains(group.err, "unknown command \"userz\" (did you mean \"users\"?)"),
                describe(group));
  const Run version = run_ctl({"--version"});
  CHECK(version.exit_code == 0);
  CHECK_MESSAGE(contains(version.out, "auctionctl 0.1"), describe(version));
  const Run no_dir = run_ctl({"--data-dir", "/nonexistent/data", "lots", "list"});
  check_error(no_dir, 3);
  CHECK_MESSAGE(contains(no_dir.err, "no server data directory \"/nonexistent/data\""),
                describe(no_dir));
  Auctiond server;
  const Run no_file = ctl(server, {"lots", "import", "nofile.toml"});
  check_error(no_file, 2);
  CHECK_MESSAGE(contains(no_file.err, "nofile.toml: no such file"), describe(no_file));
}

TEST_CASE("an unknown lot exits 1, a refused admin token 4, an unreachable server 3") {
  Auctiond server;
  check_error(ctl(server, {"lots", "show", "ghost"}), 1);

  TempDir dir;
  write_file(dir.sub("wrong.token"), "not-the-admin-token\n");
  std::vector<std::string> sneaky = {"--token-file", dir.sub("wrong.token")};
  const std::vector<std::string> create = create_args("sneaky");
  sneaky.insert(sneaky.end(), create.begin(), create.end());
  check_error(ctl(server, sneaky), 4);
  check_error(ctl(server, {"lots", "list"}, {{"AUCTION_ADMIN_TOKEN", "not-the-admin-token"}}), 4);
  CHECK_FALSE(lot_exists(server, "sneaky"));

  check_error(ctl(server, {"--server", "http://127.0.0.1:1", "lots", "list"}), 3);
  CHECK(server.stop() == 0);
  check_error(ctl(server, {"lots", "list"}), 3);  // admin.url still there, nobody listening
}

TEST_CASE("users qualify waives a lot's deposit for that bidder only") {
  Auctiond server;
  ok(ctl(server, create_args("safe", {{"--deposit", "5000"}})));
  auto alice = server.login("alice");
  auto bob = server.login("bob");

  const Message refused = ask(*alice, bid_request("safe", 1000, "a1"));
  CHECK(refused.str("type") == "rejected");
  CHECK(refused.str("code") == "not_qualified");

  ok(ctl(server, {"users", "qualify", "alice", "--lot", "safe"}));
  const Message accepted = ask(*alice, bid_request("safe", 1000, "a2"));
  CHECK_MESSAGE(accepted.str("type") == "accepted", accepted.text());
  CHECK(ask(*bob, bid_request("safe", 1100, "b1")).str("code") == "not_qualified");

  check_error(ctl(server, {"users", "qualify", "alice", "--lot", "ghost"}), 1);
}

TEST_CASE("a sale from bids to transaction confirmation, its digest recomputed from the journal") {
  Auctiond server;
  // 3 s timed phase + 1 s extension: closes within seconds, yet leaves time to bid first.
  ok(ctl(server, create_args("watch", {{"--timed", "3s"},
                                       {"--extension", "1s"},
                                       {"--start-price", "1000"},
                                       {"--increment", "100"}})));
  auto alice = server.login("alice");
  auto bob = server.login("bob");
  const Message first = ask(*alice, bid_request("watch", 1000, "a1"));
  CHECK_MESSAGE(first.str("type") == "accepted", first.text());
  const Message second = ask(*bob, bid_request("watch", 1100, "b1"));
  CHECK_MESSAGE(second.str("type") == "accepted", second.text());
  check_error(ctl(server, {"lots", "confirmation", "watch"}), 1);  // not closed yet

  ok(ctl(server, create_args("quiet", {{"--timed", "1s"}, {"--extension", "1s"}})));  // no bids
  REQUIRE(wait_for_phase(server, "watch", "closed") == "closed");
  REQUIRE(wait_for_phase(server, "quiet", "closed") == "closed");
  // The table says how each closed lot ended.
  const Run table = ok(ctl(server, {"lots", "list"}));
  CHECK_MESSAGE(has_line_with(table.out, {"watch", "closed", "sold to bob"}), describe(table));
  CHECK_MESSAGE(has_line_with(table.out, {"quiet", "closed", "unsold"}), describe(table));

  const Message confirmation = json(ctl(server, {"lots", "confirmation", "watch", "--json"}));
  CHECK(confirmation.str("lot") == "watch");
  CHECK(confirmation.str("title") == "Lot watch");
  CHECK(confirmation.str("seller") == "gallery");
  CHECK(confirmation.str("winner") == "bob");
  CHECK(confirmation.num("price") == 1100);
  CHECK(confirmation.str("currency") == "EUR");
  CHECK(confirmation.num("closed_at_ms") > 0);
  const std::int64_t closed_seq = confirmation.num("seq");
  REQUIRE(closed_seq > 0);
  const std::string digest = confirmation.str("journal_digest");
  CHECK_MESSAGE(is_digest(digest), digest);

  const Message watch = json(ctl(server, {"lots", "show", "watch", "--json"}));
  CHECK(watch.str("winner") == "bob");
  const std::vector<dom::element> recent = items(watch.root(), "recent_bids");
  REQUIRE(recent.size() == 2);  // newest first
  CHECK(text(recent[0], "bidder") == "bob");
  CHECK(integer(recent[0], "amount") == 1100);
  CHECK(text(recent[1], "bidder") == "alice");
  CHECK(integer(recent[1], "amount") == 1000);

  const Run plain = ok(ctl(server, {"lots", "confirmation", "watch"}));
  CHECK_MESSAGE(contains(plain.out, "bob"), describe(plain));
  CHECK_MESSAGE(contains(plain.out, digest), describe(plain));

  CHECK(recompute_digest(server.data_dir, static_cast<auction::Seq>(closed_seq)) == digest);

  check_error(ctl(server, {"lots", "confirmation", "quiet"}), 1);  // closed unsold
  check_error(ctl(server, {"lots", "confirmation", "ghost"}), 1);
}

TEST_CASE("help: --help on the program, a command group and a command") {
  const Run program = ok(run_ctl({"--help"}));
  CHECK_MESSAGE(contains(program.out, "lots"), describe(program));
  CHECK_MESSAGE(contains(program.out, "users"), describe(program));
  const Run group = ok(run_ctl({"lots", "--help"}));
  CHECK_MESSAGE(contains(group.out, "create"), describe(group));
  const Run command = ok(run_ctl({"lots", "create", "--help"}));
  CHECK_MESSAGE(contains(command.out, "--start-price"), describe(command));
}

TEST_CASE("status: the durable seq and the server's clock, in ms and as ISO 8601 UTC") {
  Auctiond server;
  std::vector<std::string> create = create_args("tick");
  create.push_back("--json");
  const Message created = json(ctl(server, create));
  REQUIRE(created.num("seq") > 0);
  const std::int64_t before = now_ms();
  const Message status = json(ctl(server, {"status", "--json"}));
  const std::int64_t after = now_ms();
  CHECK(status.num("durable_seq") >= created.num("seq"));  // the create was durable
  const std::int64_t server_now = status.num("now_ms");
  CHECK(server_now >= before - 5'000);
  CHECK(server_now <= after + 5'000);
  CHECK(status.str("now") == iso_utc(server_now));
  const Run table = ok(ctl(server, {"status"}));
  CHECK_FALSE(table.out.empty());
}
