// One test per rule of SPEC §1–5 and per reject code, continued (rules_test.cpp): bids, the
// close, the outage rule, catalogues, limits and the driver's view.
#include <doctest/doctest.h>

#include <limits>

#include "harness.h"

using namespace auction;
using namespace auction::testing;

TEST_SUITE("bids") {
  TEST_CASE("first bid: at least the start price, on the increment grid from it") {
    Harness h;
    h.create(lot_config());
    h.tick(kStart);
    CHECK(code_of(h.bid(kStart + 1, "alice", 99)) == RejectCode::below_minimum);
    CHECK(code_of(h.bid(kStart + 2, "alice", 105)) == RejectCode::not_increment_multiple);
    CHECK(accepted(h.bid(kStart + 3, "alice", 130)));  // 100 + 3 × 10
  }

  TEST_CASE("later bids: at least P + increment, a whole multiple of it above P") {
    Harness h;
    h.create(lot_config());
    h.tick(kStart);
    REQUIRE(accepted(h.bid(kStart + 1, "alice", 100)));
    CHECK(code_of(h.bid(kStart + 2, "bob", 100)) == RejectCode::below_minimum);  // equal
    CHECK(code_of(h.bid(kStart + 3, "bob", 101)) == RejectCode::below_minimum);  // precedence
    CHECK(code_of(h.bid(kStart + 4, "bob", 115)) == RejectCode::not_increment_multiple);
    const Event ok = h.bid(kStart + 5, "bob", 140);
    REQUIRE(accepted(ok));
    CHECK(std::get<BidAccepted>(ok.body).min_next_minor == 150);
    CHECK(h.lot().bid_count == 2);
  }

  TEST_CASE("the leader may not outbid itself") {
    Harness h;
    h.create(lot_config());
    h.tick(kStart);
    REQUIRE(accepted(h.bid(kStart + 1, "alice", 100)));
    CHECK(code_of(h.bid(kStart + 2, "alice", 110)) == RejectCode::already_leading);
  }

  TEST_CASE("two bids of the same amount: the first sequenced wins") {
    Harness h;
    h.create(lot_config());
    h.tick(kStart);
    CHECK(accepted(h.bid(kStart + 1, "alice", 200)));
    CHECK(code_of(h.bid(kStart + 1, "bob", 200)) == RejectCode::below_minimum);
  }

  TEST_CASE("amounts at 1 and at 10^15") {
    Harness h;
    LotConfig cheap = lot_config("cheap");
    cheap.start_price_minor = 1;
    cheap.increment_minor = 1;
    h.create(cheap);
    LotConfig dear = lot_config("dear");
    dear.start_price_minor = kMaxAmountMinor - 10;
    dear.increment_minor = 10;
    h.create(dear);
    h.tick(kStart);
    CHECK(accepted(h.bid(kStart + 1, "alice", 1, "cheap")));
    CHECK(accepted(h.bid(kStart + 2, "bob", 2, "cheap")));
    CHECK(accepted(h.bid(kStart + 3, "alice", kMaxAmountMinor - 10, "dear")));
    const Event top = h.bid(kStart + 4, "bob", kMaxAmountMinor, "dear");
    REQUIRE(accepted(top));
    // No admissible bid is left in range: min_next is none, and anything higher is invalid.
    CHECK_FALSE(h.lot("dear").min_next_minor().has_value());
    const Event over = h.bid(kStart + 5, "alice", kMaxAmountMinor + 10, "dear");
    CHECK(code_of(over) == RejectCode::invalid_amount);
    CHECK_FALSE(std::get<BidRejected>(over.body).min_next_minor.has_value());
  }

  TEST_CASE("invalid amounts are rejected, never rounded") {
    Harness h;
    h.create(lot_config());
    h.tick(kStart);
    for (AmountMinor amount :
         {AmountMinor{0}, AmountMinor{-100}, kMaxAmountMinor + 1,
          std::numeric_limits<AmountMinor>::max(), std::numeric_limits<AmountMinor>::min()}) {
      CAPTURE(amount);
      CHECK(code_of(h.bid(kStart + 1, "alice", amount)) == RejectCode::invalid_amount);
    }
    CHECK(h.lot().bid_count == 0);
  }

  TEST_CASE("deposit lots need qualification — a waiver qualifies too") {
    Harness h;
    LotConfig config = lot_config();
    config.deposit_minor = 5'000;
    h.create(config);
    h.tick(kStart);
    CHECK(code_of(h.bid(kStart + 1, "alice", 100)) == RejectCode::not_qualified);
    const auto qualified = h.run(
        kStart + 2, QualifyBidder{lot_id("lot1"), user("alice"), QualifySource::deposit_held});
    CHECK(bodies<BidderQualified>(qualified).size() == 1);
    CHECK(h.engine.is_qualified(lot_id("lot1"), user("alice")));
    CHECK(accepted(h.bid(kStart + 3, "alice", 100)));
    h.run(kStart + 4, QualifyBidder{lot_id("lot1"), user("bob"), QualifySource::waiver});
    CHECK(accepted(h.bid(kStart + 5, "bob", 110)));
    CHECK(code_of(h.bid(kStart + 6, "carol", 120)) == RejectCode::not_qualified);
  }

  TEST_CASE("qualify refusals") {
    Harness h;
    h.create(lot_config());
    CHECK(command_error(h.run(kT0, QualifyBidder{lot_id("zz"), user("a")})) ==
          CommandError::unknown_lot);
    h.run(kT0 + 1, CancelLot{lot_id("lot1")});
    CHECK(command_error(h.run(kT0 + 2, QualifyBidder{lot_id("lot1"), user("a")})) ==
          CommandError::lot_closed);
  }

  TEST_CASE("reject codes follow the SPEC's precedence") {
    Harness h;
    LotConfig config = lot_config();
    config.deposit_minor = 10;
    h.create(config);
    // invalid_amount before unknown_lot
    CHECK(code_of(h.bid(kT0, "a", 0, "ghost")) == RejectCode::invalid_amount);
    CHECK(code_of(h.bid(kT0, "a", 100, "ghost")) == RejectCode::unknown_lot);
    // lot_not_open before not_qualified
    CHECK(code_of(h.bid(kT0 + 1, "a", 100)) == RejectCode::lot_not_open);
    h.run(kStart, PauseLot{lot_id("lot1")});
    // lot_paused before not_qualified
    CHECK(code_of(h.bid(kStart + 1, "a", 100)) == RejectCode::lot_paused);
    h.run(kStart + 2, ResumeLot{lot_id("lot1")});
    // not_qualified before below_minimum
    CHECK(code_of(h.bid(kStart + 3, "a", 1)) == RejectCode::not_qualified);
    h.run(kStart + 4, QualifyBidder{lot_id("lot1"), user("a"), QualifySource::waiver});
    REQUIRE(accepted(h.bid(kStart + 5, "a", 100)));
    // already_leading before below_minimum
    CHECK(code_of(h.bid(kStart + 6, "a", 1)) == RejectCode::already_leading);
    h.run(kStart + 7, CancelLot{lot_id("lot1")});
    // lot_closed before not_qualified
    CHECK(code_of(h.bid(kStart + 8, "b", 110)) == RejectCode::lot_closed);
  }

  TEST_CASE("rejected answers carry min_next") {
    Harness h;
    h.create(lot_config());
    h.tick(kStart);
    auto rejected = std::get<BidRejected>(h.bid(kStart + 1, "a", 50).body);
    CHECK(rejected.min_next_minor == 100);
    REQUIRE(accepted(h.bid(kStart + 2, "a", 100)));
    rejected = std::get<BidRejected>(h.bid(kStart + 3, "b", 105).body);
    CHECK(rejected.min_next_minor == 110);
    CHECK_FALSE(std::get<BidRejected>(h.bid(kStart + 4, "b", 110, "ghost").body)
                    .min_next_minor.has_value());
  }
}

TEST_SUITE("closing") {
  TEST_CASE("highest bid below the reserve: unsold — at the reserve: sold") {
    for (const auto& [bid_minor, expected] : {std::pair{AmountMinor{140}, Outcome::unsold},
                                              std::pair{AmountMinor{150}, Outcome::sold}}) {
      const AmountMinor last_bid = bid_minor;  // clang 14: a binding cannot be CAPTUREd
      CAPTURE(last_bid);
      Harness h;
      LotConfig config = lot_config();
      config.reserve_minor = 150;
      h.create(config);
      h.tick(kStart);
      REQUIRE(accepted(h.bid(kStart + 1, "alice", 100)));
      REQUIRE(accepted(h.bid(kStart + 2, "bob", last_bid)));
      CHECK(h.lot().reserve_met() == (expected == Outcome::sold));
      const auto closed = bodies<LotClosed>(h.tick(kTimedEnd + 5'000));
      REQUIRE(closed.size() == 1);
      CHECK(closed[0].outcome == expected);
      CHECK(closed[0].price_minor == last_bid);
      CHECK(closed[0].winner == (expected == Outcome::sold ? user("bob") : UserId{}));
    }
  }

  TEST_CASE("the close carries the transaction confirmation data") {
    Harness h;
    h.create(lot_config());
    h.tick(kStart);
    REQUIRE(accepted(h.bid(kStart + 1, "alice", 300)));
    const auto events = h.tick(kTimedEnd + 5'000);
    const auto closed = bodies<LotClosed>(events).at(0);
    CHECK(closed.lot == lot_id("lot1"));
    CHECK(closed.title.view() == "Test lot");
    CHECK(closed.seller == user("seller"));
    CHECK(closed.winner == user("alice"));
    CHECK(closed.price_minor == 300);
    CHECK(closed.currency.view() == "EUR");
    CHECK(closed.closed_at_ms == kTimedEnd + 5'000);
    CHECK(events.back().seq == h.seq);
  }
}

TEST_SUITE("outage rule") {
  TEST_CASE("a deadline that fell while down becomes restart + max(extension, 1 min)") {
    Harness h;
    h.create(lot_config());
    REQUIRE(accepted(h.bid(kStart, "alice", 100)));
    // The server was down from kStart + 1 until long after the timed phase's end.
    const TimeMs restart_ms = kTimedEnd + 600'000;
    const auto events = h.run(restart_ms, Restart{});
    const auto phases = bodies<PhaseChanged>(events);
    REQUIRE(phases.size() == 1);  // one phase event, with the deadline that holds
    CHECK(phases[0].phase == Phase::extension);
    CHECK(phases[0].deadline_ms == restart_ms + 60'000);
    CHECK(bodies<LotClosed>(events).empty());
    CHECK(accepted(h.bid(restart_ms + 59'999, "bob", 110)));
    CHECK(h.lot().deadline_ms == restart_ms + 59'999 + 5'000);
  }

  TEST_CASE("a timed phase whose end fell in the outage but whose extension did not keeps it") {
    Harness h;
    LotConfig config = lot_config();
    config.extension_ms = 600'000;
    h.create(config);
    const TimeMs restart_ms = kTimedEnd + 1'000;  // the extension runs until kTimedEnd + 600 s
    const auto phases = bodies<PhaseChanged>(h.run(restart_ms, Restart{}));
    REQUIRE(phases.size() == 1);
    CHECK(phases[0].phase == Phase::extension);
    CHECK(phases[0].deadline_ms == kTimedEnd + 600'000);
  }

  TEST_CASE("an extension longer than a minute is granted in full") {
    Harness h;
    LotConfig config = lot_config();
    config.extension_ms = 120'000;
    h.create(config);
    const TimeMs restart_ms = kTimedEnd + 500'000;
    h.run(restart_ms, Restart{});
    CHECK(h.lot().phase == Phase::extension);
    CHECK(h.lot().deadline_ms == restart_ms + 120'000);
  }

  TEST_CASE("lots not yet due are untouched by a restart — a passed hard cap moves too") {
    Harness h;
    h.create(lot_config("later"), kT0);
    LotConfig capped = lot_config("capped");
    capped.latest_close_at_ms = kStart + 3'000;
    h.create(capped, kT0);
    h.tick(kStart);
    const TimeMs restart_ms = kStart + 5'000;  // "later" still in its timed phase
    const auto phases = bodies<PhaseChanged>(h.run(restart_ms, Restart{}));
    REQUIRE(phases.size() == 1);
    CHECK(phases[0].lot == lot_id("capped"));
    CHECK(h.lot("later").phase == Phase::timed);
    CHECK(h.lot("later").deadline_ms == kTimedEnd);
    CHECK(h.lot("capped").deadline_ms == restart_ms + 60'000);
    CHECK(h.lot("capped").close_cap_ms == restart_ms + 60'000);
  }

  TEST_CASE("without the restart command the same clock closes the lot") {
    Harness h;
    h.create(lot_config());
    CHECK(bodies<LotClosed>(h.tick(kTimedEnd + 600'000)).size() == 1);
  }
}

TEST_SUITE("catalogues") {
  TEST_CASE("a catalogue creates every lot in order, each announced") {
    Harness h;
    const auto events = h.run(kT0, CreateLots{{lot_config("a"), lot_config("b"), lot_config("c")}});
    const auto configured = bodies<LotConfigured>(events);
    REQUIRE(configured.size() == 3);
    CHECK(configured[0].config.id == lot_id("a"));
    CHECK(configured[2].config.id == lot_id("c"));
    CHECK(configured[1].created);
    CHECK(h.engine.lots().size() == 3);
    CHECK(h.lot("b").config.reserve_minor == 100);  // defaults filled in as for one lot
  }

  TEST_CASE("one bad lot refuses the whole catalogue, naming that lot and field") {
    Harness h;
    LotConfig bad = lot_config("b");
    bad.increment_minor = 0;
    const auto events = h.run(kT0, CreateLots{{lot_config("a"), bad, lot_config("c")}});
    REQUIRE(events.size() == 1);
    const auto& rejected = std::get<CommandRejected>(events[0].body);
    CHECK(rejected.lot == lot_id("b"));
    CHECK(rejected.error == CommandError::invalid_config);
    CHECK(rejected.field == "increment");
    CHECK(h.engine.lots().empty());
  }

  TEST_CASE("an id named twice, an existing id, an empty catalogue, too many lots") {
    Harness h(EngineLimits{3, 10, 3});
    CHECK(command_error(h.run(kT0, CreateLots{{lot_config("a"), lot_config("a")}})) ==
          CommandError::lot_exists);
    h.create(lot_config("x"));
    CHECK(command_error(h.run(kT0, CreateLots{{lot_config("b"), lot_config("x")}})) ==
          CommandError::lot_exists);
    CHECK(command_error(h.run(kT0, CreateLots{})) == CommandError::invalid_config);
    CHECK(command_error(h.run(kT0, CreateLots{{lot_config("b"), lot_config("c"), lot_config("d"),
                                               lot_config("e")}})) ==
          CommandError::invalid_config);  // more than max_catalogue_lots
    CHECK(command_error(
              h.run(kT0, CreateLots{{lot_config("b"), lot_config("c"), lot_config("d")}})) ==
          CommandError::limit_reached);  // 1 + 3 > max_lots
    CHECK(h.engine.lots().size() == 1);
    CHECK(
        bodies<LotConfigured>(h.run(kT0, CreateLots{{lot_config("b"), lot_config("c")}})).size() ==
        2);
    CHECK(h.engine.lots().size() == 3);
  }
}

TEST_SUITE("limits and the driver's view") {
  TEST_CASE("max_lots and max_qualifications are refused with limit_reached") {
    Harness h(EngineLimits{2, 1});
    h.create(lot_config("a"));
    h.create(lot_config("b"));
    CHECK(command_error(h.create(lot_config("c"))) == CommandError::limit_reached);
    CHECK(h.engine.lots().size() == 2);
    h.run(kT0 + 1, QualifyBidder{lot_id("a"), user("x")});
    CHECK(command_error(h.run(kT0 + 2, QualifyBidder{lot_id("a"), user("y")})) ==
          CommandError::limit_reached);
    // Re-qualifying an existing pair needs no new room.
    CHECK_FALSE(command_error(h.run(kT0 + 3, QualifyBidder{lot_id("a"), user("x")})).has_value());
  }

  TEST_CASE("next_deadline_ms follows starts, phase ends and extension bids") {
    Harness h;
    CHECK_FALSE(h.engine.next_deadline_ms().has_value());
    h.create(lot_config());
    CHECK(h.engine.next_deadline_ms() == kStart);
    h.tick(kStart);
    CHECK(h.engine.next_deadline_ms() == kTimedEnd);
    h.tick(kTimedEnd);
    CHECK(h.engine.next_deadline_ms() == kTimedEnd + 5'000);
    REQUIRE(accepted(h.bid(kTimedEnd + 2'000, "alice", 100)));
    CHECK(h.engine.next_deadline_ms() == kTimedEnd + 7'000);
    h.tick(kTimedEnd + 7'000);
    CHECK_FALSE(h.engine.next_deadline_ms().has_value());
  }

  TEST_CASE("every event carries its command's seq and ts and the lot's seq follows its changes") {
    Harness h;
    h.create(lot_config());
    const auto events = h.run(kStart + 7, PlaceBid{lot_id("lot1"), user("a"), 100});
    REQUIRE(events.size() == 2);
    for (const Event& event : events) {
      CHECK(event.seq == h.seq);
      CHECK(event.ts_ms == kStart + 7);
    }
    CHECK(h.lot().seq == h.seq);
    h.bid(kStart + 8, "b", 1);  // rejected: no change to the lot
    CHECK(h.lot().seq == h.seq - 1);
  }
}

TEST_SUITE("hints") {
  TEST_CASE("prefetch hints change nothing: known and unknown lots, any command, an empty engine") {
    Engine empty;
    empty.prefetch(lot_id("nowhere"), Engine::Prefetch::index);
    empty.prefetch(lot_id("nowhere"), Engine::Prefetch::lot);
    CHECK(empty.state_digest() == Engine().state_digest());

    Harness plain, hinted;
    for (Harness* h : {&plain, &hinted})
      h->create(lot_config("lot1"));
    const std::vector<CommandBody> bodies = {PlaceBid{lot_id("lot1"), user("alice"), 100},
                                             PlaceMaxBid{lot_id("lot1"), user("bob"), 500},
                                             PlaceBid{lot_id("nope"), user("alice"), 100}, Tick{}};
    for (const CommandBody& body : bodies) {
      for (const auto what : {Engine::Prefetch::index, Engine::Prefetch::lot}) {
        hinted.engine.prefetch(body, what);
        hinted.engine.prefetch(lot_id("nope"), what);
      }
      CHECK(hinted.run(kStart + 1, body) == plain.run(kStart + 1, body));
    }
    CHECK(hinted.engine.state_digest() == plain.engine.state_digest());
  }
}
