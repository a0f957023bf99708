// SPEC §4.1 (increment tables) and §4.2 (maximum bids), worked out by hand: each case gives its
// inputs and the events, price and leader that must follow (docs/ENGINE.md lists them as a
// table). The far ends the reference model cannot walk (a maximum of 10^15 with an increment of
// 1, a band that starts near 10^15) are here too.
#include <doctest/doctest.h>

#include <chrono>

#include "harness.h"

using namespace auction;
using namespace auction::testing;

namespace {

constexpr AmountMinor kMax = kMaxAmountMinor;

// The events of one command as "bidder amount [auto]" (bids) and "max bidder" (a maximum).
std::vector<std::string> trail(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& event : events) {
    if (const auto* bid = std::get_if<BidAccepted>(&event.body)) {
      out.push_back(std::string(bid->bidder.view()) + " " + std::to_string(bid->amount_minor) +
                    (bid->auto_bid ? " auto" : ""));
    } else if (const auto* max = std::get_if<MaxBidAccepted>(&event.body)) {
      out.push_back("max " + std::string(max->bidder.view()));
    } else if (const auto* rejected = std::get_if<BidRejected>(&event.body)) {
      out.push_back(std::string(reject_code_name(rejected->code)));
    }
  }
  return out;
}

using Trail = std::vector<std::string>;

struct Sale {
  explicit Sale(LotConfig config = lot_config()) {
    h.create(config);
    h.tick(kStart);
  }
  Trail max(std::string_view bidder, AmountMinor max_minor, TimeMs at_ms = kStart + 1) {
    return trail(h.run(at_ms, PlaceMaxBid{lot_id("lot1"), user(bidder), max_minor}));
  }
  Trail bid(std::string_view bidder, AmountMinor amount_minor, TimeMs at_ms = kStart + 1) {
    return trail(h.run(at_ms, PlaceBid{lot_id("lot1"), user(bidder), amount_minor}));
  }
  AmountMinor price() const { return h.lot().price_minor; }
  std::string leader() const { return std::string(h.lot().leader.view()); }
  Harness h;
};

}  // namespace

TEST_SUITE("increment tables") {
  TEST_CASE("SPEC 4.1's example: from 95.00 the next bid is 100.00, from 100.00 110.00") {
    LotConfig config = lot_config();
    config.start_price_minor = 9'000;
    config.increment_minor = 0;  // the table's at the start price: 500
    config.reserve_minor = 0;
    config.increments = {{0, 500}, {10'000, 1'000}, {100'000, 5'000}};
    Sale sale(config);
    CHECK(sale.h.lot().config.increment_minor == 500);
    CHECK(sale.bid("alice", 9'250) == Trail{"not_increment_multiple"});
    CHECK(sale.bid("alice", 9'500) == Trail{"alice 9500"});
    CHECK(sale.h.lot().min_next_minor() == 10'000);
    CHECK(sale.bid("bob", 9'999) == Trail{"below_minimum"});
    CHECK(sale.bid("bob", 10'000) == Trail{"bob 10000"});
    CHECK(sale.h.lot().min_next_minor() == 11'000);
    CHECK(sale.bid("alice", 10'500) == Trail{"below_minimum"});
    CHECK(sale.bid("alice", 11'500) == Trail{"not_increment_multiple"});
    CHECK(sale.bid("alice", 100'000) == Trail{"alice 100000"});
    CHECK(sale.h.lot().min_next_minor() == 105'000);
  }

  TEST_CASE("bad tables are refused with the field named") {
    Harness h;
    const auto refused = [&](std::vector<IncrementBand> bands, AmountMinor increment = 0) {
      LotConfig config = lot_config();
      config.increment_minor = increment;
      config.increments = std::move(bands);
      return config_problem_field(h.create(config));
    };
    CHECK(refused({{1, 10}}) == "increments");                        // first band not from 0
    CHECK(refused({{0, 10}, {500, 20}, {500, 30}}) == "increments");  // not ascending
    CHECK(refused({{0, 10}, {500, 0}}) == "increments");              // an increment of 0
    CHECK(refused(std::vector<IncrementBand>(33, {0, 1})) == "increments");
    CHECK(refused({{0, 10}}, 20) == "increment");  // not the table's increment at the start
    CHECK(h.engine.lots().empty());
  }
}

TEST_SUITE("maximum bids") {
  TEST_CASE("a duel of maxima, step by step") {
    Sale sale;  // start 100, increment 10, reserve 100
    CHECK(sale.max("alice", 150) == Trail{"max alice", "alice 100 auto"});
    // A plain bid under alice's maximum: it stands, alice answers one rung above it.
    CHECK(sale.bid("bob", 120) == Trail{"bob 120", "alice 130 auto"});
    // A plain bid at her maximum: the earlier bidder keeps the lead at that amount.
    CHECK(sale.bid("bob", 150) == Trail{"bob 150", "alice 150 auto"});
    CHECK(sale.leader() == "alice");
    // A higher maximum leads one rung above alice's reach (150, the price: no bid of hers).
    CHECK(sale.max("carol", 175) == Trail{"max carol", "carol 160 auto"});
    // An equal reach (170): the earlier maximum stays in the lead, at that rung.
    CHECK(sale.max("dave", 175) == Trail{"max dave", "dave 170 auto", "carol 170 auto"});
    CHECK(sale.max("dave", 172) == Trail{"below_minimum"});
    CHECK(sale.max("carol", 175) == Trail{"not_above_own_max"});
    CHECK(sale.max("erin", 200) == Trail{"max erin", "erin 180 auto"});
    // A lower reach: the leader stays, one rung above it.
    CHECK(sale.max("frank", 195) == Trail{"max frank", "frank 190 auto", "erin 200 auto"});
    // The leader's reach was above the price: its bid there first, then the new leader's.
    CHECK(sale.max("gary", 300) == Trail{"max gary", "gary 210 auto"});
    CHECK(sale.max("hank", 500) == Trail{"max hank", "gary 300 auto", "hank 310 auto"});
    CHECK(sale.price() == 310);
    CHECK(sale.leader() == "hank");
    CHECK(sale.h.lot().leader_max_minor == 500);
    CHECK(sale.h.lot().bid_count == 14);  // every price move counts
  }

  TEST_CASE("a plain bid above the leader's maximum leads at its amount, as before") {
    Sale sale;
    sale.max("alice", 150);
    CHECK(sale.bid("bob", 200) == Trail{"bob 200"});
    CHECK(sale.leader() == "bob");
    CHECK(sale.h.lot().leader_max_minor == 200);
  }

  TEST_CASE("the reserve rule: the price rises to the reserve the maximum covers") {
    LotConfig config = lot_config();
    config.reserve_minor = 255;
    {
      Sale sale(config);
      CHECK(sale.max("alice", 1'000) == Trail{"max alice", "alice 100 auto", "alice 260 auto"});
    }
    {
      Sale sale(config);  // the rung at the reserve (260) is above the maximum: its reach
      CHECK(sale.max("alice", 258) == Trail{"max alice", "alice 100 auto", "alice 250 auto"});
    }
    config.reserve_minor = 500;
    Sale sale(config);
    CHECK(sale.max("alice", 150) == Trail{"max alice", "alice 100 auto"});
    // The leader raising its maximum moves the price only for the reserve.
    CHECK(sale.max("alice", 600) == Trail{"max alice", "alice 500 auto"});
    CHECK(sale.max("alice", 700) == Trail{"max alice"});
    CHECK(sale.price() == 500);
  }

  TEST_CASE("every price move restarts the extension countdown at the command's time") {
    LotConfig config = lot_config();
    config.timed_ms = 0;  // extension from the start: a 5 s countdown
    Harness h;
    h.create(config);
    h.tick(kStart);
    h.run(kStart + 1'000, PlaceMaxBid{lot_id("lot1"), user("alice"), 500});
    const auto events = h.run(kStart + 4'000, PlaceMaxBid{lot_id("lot1"), user("bob"), 300});
    const auto bids = bodies<BidAccepted>(events);
    REQUIRE(bids.size() == 2);
    for (const BidAccepted& bid : bids)
      CHECK(bid.deadline_ms == kStart + 9'000);
    CHECK(h.lot().deadline_ms == kStart + 9'000);
  }

  TEST_CASE("codes: max_bid_not_allowed after lot_closed, before not_qualified") {
    LotConfig config = lot_config();
    config.max_bids = false;
    config.deposit_minor = 100;
    Sale sale(config);
    CHECK(sale.max("alice", 500) == Trail{"max_bid_not_allowed"});
    CHECK(sale.max("alice", 0) == Trail{"invalid_amount"});
    CHECK(sale.max("alice", 500, kStart + 60'000) == Trail{"lot_closed"});
  }

  TEST_CASE("far ends: a maximum of 10^15 with an increment of 1 costs what any bid costs") {
    LotConfig config = lot_config();
    config.start_price_minor = 1;
    config.increment_minor = 1;
    config.reserve_minor = 0;
    Sale sale(config);
    const auto started = std::chrono::steady_clock::now();
    CHECK(sale.max("alice", kMax) == Trail{"max alice", "alice 1 auto"});
    CHECK(sale.max("bob", kMax - 1) ==
          Trail{"max bob", "bob 999999999999999 auto", "alice 1000000000000000 auto"});
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(100));
    CHECK(sale.price() == kMax);
    CHECK(sale.h.lot().min_next_minor() == std::nullopt);  // nothing above 10^15
  }

  TEST_CASE("far ends: a table whose last band starts near 10^15") {
    LotConfig config = lot_config();
    config.start_price_minor = 1;
    config.increment_minor = 0;
    config.reserve_minor = 0;
    config.increments = {{0, 1}, {kMax - 100, 7}};
    Sale sale(config);
    CHECK(sale.max("alice", kMax) == Trail{"max alice", "alice 1 auto"});
    // Rungs of 1 up to kMax - 100, then of 7: bob reaches kMax - 51, alice kMax - 2.
    CHECK(sale.max("bob", kMax - 50) == Trail{"max bob",
                                              "bob " + std::to_string(kMax - 51) + " auto",
                                              "alice " + std::to_string(kMax - 44) + " auto"});
    CHECK(sale.h.lot().min_next_minor() == kMax - 37);
    CHECK(sale.max("carol", kMax) == Trail{"max carol",
                                           "carol " + std::to_string(kMax - 2) + " auto",
                                           "alice " + std::to_string(kMax - 2) + " auto"});
  }
}
