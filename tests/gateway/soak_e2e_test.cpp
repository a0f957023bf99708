// The crash soak (issue 9): auctiond, with its settlement consumer, is SIGKILLed at a random
// moment while bidders bid over WebSocket and the payment provider books credits through the
// signed webhook; then restarted on the same data directory. After every cycle, read-only:
//   - every acknowledged bid is in the journal at the seq its answer named, and none twice;
//   - `auction-replay check` re-runs the engine and reproduces every recorded outcome and
//     snapshot digest (the state equals a fresh replay);
//   - the ledger's invariants hold, it equals a from-scratch replay of the two journals, and
//     every acknowledged credit is booked once.
// 5 cycles in the suite; AUCTION_SOAK_CYCLES=1000 (tools/crash-soak.sh server 1000) for the
// long run. Prints cycles, acknowledged, indeterminate (sent, never answered) and lost.
#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "../support/run_command.h"
#include "auction/persistence/journal.h"
#include "auction/persistence/record_codec.h"
#include "auction/persistence/settler.h"
#include "auctiond_fixture.h"
#include "settle_client.h"

namespace auction::testing {
namespace {

using namespace std::chrono_literals;

struct AckedBid {
  std::string lot, bidder;
  std::int64_t amount = 0;
};

struct Totals {
  std::uint64_t bids_sent = 0, bids_answered = 0, bids_acked = 0, bids_lost = 0;
  std::uint64_t credits_sent = 0, credits_acked = 0, credits_lost = 0;
};

// Two bidders (logged in by the caller) outbid each other on one lot until told to stop or the
// server dies; each accepted answer is recorded with its seq. Runs on its own thread: no
// assertions here, and an exception means the server is gone.
void bid_until(std::unique_ptr<WsClient> (&clients)[2], const std::string& lot, std::int64_t next,
               std::int64_t increment, std::atomic<bool>& stop, std::mutex& mutex,
               std::map<Seq, AckedBid>& acked, std::uint64_t& sent, std::uint64_t& answered) {
  try {
    for (int turn = 0; !stop.load() && next > 0; ++turn) {
      WsClient& client = *clients[turn % 2];
      client.send(R"({"type":"bid","lot":")" + lot + R"(","amount":)" + std::to_string(next) + "}");
      ++sent;
      std::optional<std::string> answer;
      while ((answer = client.receive(2s)) && answer->find("\"accepted\"") == std::string::npos &&
             answer->find("\"rejected\"") == std::string::npos) {
      }
      if (!answer) return;  // the server is gone: this bid is indeterminate
      ++answered;
      const Message message(answer);
      if (message.str("type") == "accepted") {
        std::lock_guard lock(mutex);
        acked[static_cast<Seq>(message.num("seq"))] =
            AckedBid{lot, turn % 2 == 0 ? "alice" : "bob", next};
        next += increment;
      } else {
        next = message.num("min_next");
      }
    }
  } catch (const std::exception&) {
  }
}

// Checks the journal against the acknowledged bids; returns how many were lost.
std::uint64_t check_bids(const std::string& data, const std::map<Seq, AckedBid>& acked) {
  std::unique_ptr<persistence::Journal> journal;
  REQUIRE(persistence::Journal::open({data + "/journal", 0, true}, journal).is_ok());
  std::map<Seq, AckedBid> journaled;
  std::set<std::tuple<std::string, std::string, std::int64_t>> seen;
  std::uint64_t twice = 0;
  REQUIRE(journal
              ->scan(1,
                     [&](Seq seq, std::string_view bytes) {
                       Command command;
                       REQUIRE(persistence::decode_record(bytes, command).is_ok());
                       if (const auto* bid = std::get_if<PlaceBid>(&command.body)) {
                         AckedBid b{std::string(bid->lot.view()), std::string(bid->bidder.view()),
                                    bid->amount_minor};
                         twice += seen.emplace(b.lot, b.bidder, b.amount).second ? 0 : 1;
                         journaled.emplace(seq, std::move(b));
                       }
                       return true;
                     })
              .is_ok());
  CHECK(twice == 0);  // a client never sends the same bid twice: none may be applied twice
  std::uint64_t lost = 0;
  for (const auto& [seq, bid] : acked) {
    const auto it = journaled.find(seq);
    const bool present = it != journaled.end() && it->second.lot == bid.lot &&
                         it->second.bidder == bid.bidder && it->second.amount == bid.amount;
    if (!present) {
      ++lost;
      FAIL_CHECK("acknowledged bid lost: seq " << seq << " " << bid.bidder << " " << bid.amount
                                               << " on " << bid.lot);
    }
  }
  return lost;
}

}  // namespace

TEST_CASE("crash soak: auctiond and settlement SIGKILLed under bids and credits lose nothing") {
  const char* env = std::getenv("AUCTION_SOAK_CYCLES");
  const int cycles = env != nullptr ? std::atoi(env) : 5;
  const std::uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const std::string data = dir.path();
  std::map<Seq, AckedBid> acked_bids;
  std::set<std::string> acked_credits;
  Totals totals;
  const auto started = std::chrono::steady_clock::now();
  for (int cycle = 0; cycle < cycles; ++cycle) {
    CAPTURE(cycle);
    {
      Auctiond server(
          {"--bids-per-second", "100000", "--bid-burst", "100000", "--demo-open-lots", "16"},
          &data);
      Settle settle(server);
      const std::string lot = "open-" + std::to_string(cycle % 16);
      std::unique_ptr<WsClient> bidders[2] = {server.login("alice"), server.login("bob")};
      bidders[0]->send(R"({"type":"subscribe","lot":")" + lot + R"("})");
      const Message snapshot(bidders[0]->receive(5s));
      std::atomic<bool> stop{false};
      std::mutex mutex;
      std::uint64_t bids_sent = 0, bids_answered = 0;
      std::thread bidding([&] {
        bid_until(bidders, lot, snapshot.num("min_next"), snapshot.num("increment"), stop, mutex,
                  acked_bids, bids_sent, bids_answered);
      });
      std::thread credits([&] {
        totals.credits_sent +=
            credit_until(settle, "carol", "soak-" + std::to_string(cycle), stop, acked_credits);
      });
      std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 400));
      server.kill_hard();
      stop.store(true);
      bidding.join();
      credits.join();
      totals.bids_sent += bids_sent;
      totals.bids_answered += bids_answered;
    }
    totals.bids_lost += check_bids(data, acked_bids);
    totals.credits_lost += check_ledger_after_crash(data, acked_credits);
    const CommandResult check = run_command(
        {AUCTION_REPLAY, "--data-dir", data, "--quiet", "check"}, std::chrono::seconds(120));
    CHECK_MESSAGE(check.exit_code == 0, check.err);
  }
  totals.bids_acked = acked_bids.size();
  totals.credits_acked = acked_credits.size();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  MESSAGE("crash soak: " << cycles << " cycles in " << seconds << " s; bids sent "
                         << totals.bids_sent << ", acknowledged " << totals.bids_acked
                         << " (answered " << totals.bids_answered << "), indeterminate "
                         << totals.bids_sent - totals.bids_answered << ", lost " << totals.bids_lost
                         << "; credits sent " << totals.credits_sent << ", acknowledged "
                         << totals.credits_acked << ", indeterminate "
                         << totals.credits_sent - totals.credits_acked << ", lost "
                         << totals.credits_lost);
  CHECK(totals.bids_lost == 0);
  CHECK(totals.credits_lost == 0);
  CHECK(totals.bids_acked > static_cast<std::uint64_t>(cycles));
  CHECK(totals.credits_acked > static_cast<std::uint64_t>(cycles));
}

}  // namespace auction::testing
