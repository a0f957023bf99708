// SPEC §4.3 (priority purchasers), worked out by hand: grants while the lot is scheduled, a match
// at the price, ranks and time breaking ties, the extension countdown, the close that names the
// right, and every refused grant with its field. The property test checks the same rules against
// the reference model over random streams.
#include <doctest/doctest.h>

#include "harness.h"

using namespace auction;
using namespace auction::testing;

namespace {

// A lot (start 100, increment 10, timed 10 s, extension 5 s) with `grants` given before it opens.
struct PrioritySale {
  explicit PrioritySale(std::vector<std::pair<std::string_view, std::uint32_t>> grants) {
    h.create(lot_config());
    for (const auto& [bidder, rank] : grants) {
      const auto events = h.run(kT0 + 1, GrantPriority{lot_id("lot1"), user(bidder), rank});
      REQUIRE_MESSAGE(!command_error(events), describe(events.back()));
    }
    h.tick(kStart);
  }
  // "accepted", "match" or the reject code of a plain bid.
  std::string bid(std::string_view bidder, AmountMinor amount_minor, TimeMs at_ms = kStart + 1) {
    const Event answer = h.bid(at_ms, bidder, amount_minor);
    if (const auto* a = std::get_if<BidAccepted>(&answer.body)) {
      return a->priority_match ? "match" : "accepted";
    }
    return std::string(reject_code_name(*reject_code(answer)));
  }
  std::string leader() const { return std::string(h.lot().leader.view()); }
  Harness h;
};

GrantPriority grant(std::string_view bidder, std::uint32_t rank, std::string_view lot = "lot1") {
  return GrantPriority{lot_id(lot), user(bidder), rank};
}

}  // namespace

TEST_SUITE("priority purchasers") {
  TEST_CASE("a priority purchaser matches the price and leads at it") {
    PrioritySale sale({{"tenant", 1}});
    CHECK(sale.bid("alice", 100) == "accepted");
    CHECK(sale.bid("tenant", 100) == "match");
    CHECK(sale.leader() == "tenant");
    CHECK(sale.h.lot().price_minor == 100);  // a match changes the leader, not the price
    CHECK(sale.h.lot().bid_count == 2);
    CHECK(sale.h.lot().min_next_minor() == 110);
    // Everyone else needs next(P) to take the lead back.
    CHECK(sale.bid("bob", 100) == "below_minimum");
    CHECK(sale.bid("bob", 110) == "accepted");
    CHECK(sale.leader() == "bob");
    // And the right holds at every price: matched again.
    CHECK(sale.bid("tenant", 110) == "match");
    CHECK(sale.leader() == "tenant");
  }

  TEST_CASE("before the first bid a priority purchaser bids the start price like anyone") {
    PrioritySale sale({{"tenant", 1}});
    CHECK(sale.bid("tenant", 90) == "below_minimum");
    CHECK(sale.bid("tenant", 100) == "accepted");
    CHECK(sale.bid("alice", 100) == "below_minimum");
  }

  TEST_CASE("above the price a priority purchaser follows the ordinary rule") {
    PrioritySale sale({{"tenant", 1}});
    CHECK(sale.bid("alice", 100) == "accepted");
    CHECK(sale.bid("tenant", 105) == "below_minimum");
    CHECK(sale.bid("tenant", 115) == "not_increment_multiple");
    CHECK(sale.bid("tenant", 120) == "accepted");
    CHECK(sale.bid("tenant", 120) == "already_leading");
  }

  TEST_CASE("the better rank leads at the same price, an equal or worse rank cannot match") {
    PrioritySale sale({{"coowner", 2}, {"tenant", 1}, {"heir", 2}});
    CHECK(sale.bid("alice", 100) == "accepted");
    CHECK(sale.bid("coowner", 100) == "match");
    CHECK(sale.bid("heir", 100) == "below_minimum");  // equal rank: the earlier bid leads
    CHECK(sale.bid("tenant", 100) == "match");        // better rank
    CHECK(sale.leader() == "tenant");
    CHECK(sale.bid("coowner", 100) == "below_minimum");  // worse rank
    CHECK(sale.h.lot().bid_count == 3);
    // A worse rank takes the lead only above the price.
    CHECK(sale.bid("coowner", 110) == "accepted");
    CHECK(sale.bid("tenant", 110) == "match");
  }

  TEST_CASE("a match restarts the extension countdown like any accepted bid") {
    PrioritySale sale({{"tenant", 1}});
    const TimeMs extension_at = kStart + 10'000;
    CHECK(sale.bid("alice", 100, extension_at + 100) == "accepted");
    CHECK(sale.h.lot().deadline_ms == extension_at + 100 + 5'000);
    CHECK(sale.bid("tenant", 100, extension_at + 3'000) == "match");
    CHECK(sale.h.lot().deadline_ms == extension_at + 3'000 + 5'000);
    // A refused match moves nothing.
    CHECK(sale.bid("alice", 100, extension_at + 4'000) == "below_minimum");
    CHECK(sale.h.lot().deadline_ms == extension_at + 3'000 + 5'000);
  }

  TEST_CASE("the close names the winner's right: it bought under it") {
    PrioritySale sale({{"tenant", 3}});
    sale.bid("alice", 100);
    sale.bid("tenant", 100);
    const auto closed = bodies<LotClosed>(sale.h.tick(kStart + 20'000));
    REQUIRE(closed.size() == 1);
    CHECK(closed[0].outcome == Outcome::sold);
    CHECK(closed[0].winner == user("tenant"));
    CHECK(closed[0].price_minor == 100);
    CHECK(closed[0].winner_priority_rank == 3);
  }

  TEST_CASE("a winner without a right closes as before") {
    PrioritySale sale({{"tenant", 1}});
    sale.bid("alice", 100);
    const auto closed = bodies<LotClosed>(sale.h.tick(kStart + 20'000));
    REQUIRE(closed.size() == 1);
    CHECK(closed[0].winner == user("alice"));
    CHECK(closed[0].winner_priority_rank == 0);
  }

  TEST_CASE("lots with priority purchasers refuse maximum bids") {
    PrioritySale sale({{"tenant", 1}});
    CHECK(sale.h.lot().config.max_bids);  // the lot's own setting is kept; the grant overrides it
    CHECK_FALSE(allows_max_bids(sale.h.lot().config));
    const auto events = sale.h.run(kStart + 1, PlaceMaxBid{lot_id("lot1"), user("bob"), 500});
    CHECK(reject_code(events.back()) == RejectCode::max_bid_not_allowed);
  }
}

TEST_SUITE("priority grants") {
  TEST_CASE("a grant is journaled as the lot's configuration and kept by an edit") {
    Harness h;
    h.create(lot_config());
    const auto configured = bodies<LotConfigured>(h.run(kT0 + 1, grant("tenant", 2)));
    REQUIRE(configured.size() == 1);
    CHECK_FALSE(configured[0].created);
    REQUIRE(configured[0].config.priority.size() == 1);
    CHECK(configured[0].config.priority[0] == PriorityGrant{user("tenant"), 2});
    // Granting again changes the rank.
    h.run(kT0 + 2, grant("tenant", 1));
    CHECK(priority_rank(h.lot().config, user("tenant")) == 1);
    // An edit replaces the configuration but not the grants.
    LotConfig edited = lot_config();
    edited.title = Title::parse("Edited").value();
    CHECK_FALSE(command_error(h.run(kT0 + 3, EditLot{edited})));
    CHECK(h.lot().config.title == edited.title);
    CHECK(priority_rank(h.lot().config, user("tenant")) == 1);
    // An edit that makes a purchaser the seller is refused.
    edited.seller = user("tenant");
    const auto refused = h.run(kT0 + 4, EditLot{edited});
    CHECK(command_error(refused) == CommandError::invalid_config);
    CHECK(config_problem_field(refused) == "priority");
  }

  TEST_CASE("bad grants are refused with the field named and change nothing") {
    Harness h;
    h.create(lot_config());
    TimeMs at_ms = kT0 + 1;
    const auto refused = [&](GrantPriority command, CommandError error, std::string field) {
      const LotConfig before = h.lot().config;
      const auto events = h.run(at_ms, command);
      CHECK(command_error(events) == error);
      CHECK(config_problem_field(events) == field);
      CHECK(h.lot().config == before);
    };
    refused(grant("tenant", 0), CommandError::invalid_config, "rank");
    refused(grant("tenant", 100), CommandError::invalid_config, "rank");
    refused(grant("seller", 1), CommandError::invalid_config, "priority");
    refused(grant("tenant", 1, "nolot"), CommandError::unknown_lot, "");
    for (int i = 0; i < 16; ++i) {
      REQUIRE_FALSE(command_error(h.run(kT0 + 1, grant("p" + std::to_string(i), 1))));
    }
    refused(grant("p16", 1), CommandError::invalid_config, "priority");
    CHECK_FALSE(command_error(h.run(kT0 + 1, grant("p3", 7))));  // a held right may change
    at_ms = kStart;
    h.tick(at_ms);
    refused(grant("late", 1), CommandError::lot_not_editable, "");
  }

  TEST_CASE("grants survive a snapshot and restore") {
    PrioritySale sale({{"tenant", 1}, {"coowner", 2}});
    sale.bid("alice", 100);
    sale.bid("coowner", 100);
    Engine restored;
    REQUIRE(restored.restore(sale.h.engine.snapshot()).is_ok());
    CHECK(restored.state_digest() == sale.h.engine.state_digest());
    RecordingSink sink;
    restored.apply(
        Command{sale.h.seq + 1, kStart + 2, PlaceBid{lot_id("lot1"), user("tenant"), 100}}, sink);
    REQUIRE(sink.events.size() == 1);
    const auto* match = std::get_if<BidAccepted>(&sink.events[0].body);
    REQUIRE(match != nullptr);
    CHECK(match->priority_match);
  }
}
