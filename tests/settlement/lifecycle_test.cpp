// Settlement's whole lifecycles (SPEC §6) and every refused input, on the pure state machine.
#include <doctest/doctest.h>

#include "world.h"

namespace auction::testing {
namespace {

constexpr TimeMs kClosedAt = kT0 + 16'000;  // lot_config(): 1 s + 10 s timed + 5 s extension
constexpr DurationMs kHour = 60LL * 60 * 1000;
constexpr DurationMs kDay = 24 * kHour;

LotConfig deposit_lot(std::string_view id = "lot1", AmountMinor deposit = 1'000,
                      TimeMs starts_at_ms = kT0 + 1'000) {
  LotConfig config = lot_config(id);
  config.starts_at_ms = starts_at_ms;
  config.start_price_minor = 10'000;
  config.increment_minor = 500;
  config.deposit_minor = deposit;
  return config;
}

// alice and bob fund their wallets, register, bid; alice wins lot1 at 11,000 (deposit 1,000).
void sell_to_alice(World& w, LotConfig config = deposit_lot()) {
  w.engine(kT0, CreateLot{config});
  REQUIRE(w.credit("alice", 50'000, "bank-a1").ok());
  REQUIRE(w.credit("bob", 5'000, "bank-b1").ok());
  REQUIRE(w.register_for("alice", "lot1").ok());
  REQUIRE(w.register_for("bob", "lot1").ok());
  CHECK(w.wallet("alice") == 50'000 - config.deposit_minor);
  for (const auto& [who, amount] :
       {std::pair{"alice", 10'000}, {"bob", 10'500}, {"alice", 11'000}}) {
    const auto events = w.engine(kT0 + 2'000, PlaceBid{lot_id("lot1"), user(who), amount});
    REQUIRE(accepted(events.back()));
  }
  w.engine(kClosedAt, Tick{});
  REQUIRE(w.settlement.find_order(lot_id("lot1")) != nullptr);
}

TEST_CASE("sold, paid, shipped, confirmed: the seller is paid the price less the fee") {
  World w;
  sell_to_alice(w);
  const Order& order = w.order();
  CHECK(order.state == OrderState::awaiting_payment);
  CHECK(order.buyer == user("alice"));
  CHECK(order.price_minor == 11'000);
  CHECK(order.deposit_applied_minor == 1'000);
  CHECK(order.due_minor() == 10'000);
  CHECK(order.payment_due_ms == kClosedAt + 72 * kHour);  // the default window
  CHECK(w.wallet("bob") == 5'000);                        // the loser's hold went back
  CHECK(w.settlement.balance(escrow_account(lot_id("lot1"))) == 1'000);

  const Answer paid = w.input(kClosedAt + kHour, Pay{user("alice"), lot_id("lot1")});
  REQUIRE(paid.ok());
  CHECK(paid.order->state == OrderState::paid);
  CHECK(w.wallet("alice") == 50'000 - 11'000);
  CHECK(w.settlement.balance(escrow_account(lot_id("lot1"))) == 11'000);
  // Paid but not shipped: receipt cannot be confirmed, and the escrow stays where it is.
  const Answer early =
      w.input(kClosedAt + kHour + 1, ConfirmReceipt{user("alice"), lot_id("lot1")});
  CHECK(early.error == SettleError::wrong_state);
  CHECK(early.message.find("shipped") != std::string::npos);
  CHECK(w.order().state == OrderState::paid);
  CHECK(w.settlement.balance(escrow_account(lot_id("lot1"))) == 11'000);

  REQUIRE(w.input(kClosedAt + 2 * kHour, Ship{lot_id("lot1"), "DHL 123"}).ok());
  CHECK(w.order().state == OrderState::shipped);
  CHECK(w.order().confirm_due_ms == kClosedAt + 2 * kHour + 10 * kDay);
  REQUIRE(w.input(kClosedAt + 3 * kHour, ConfirmReceipt{user("alice"), lot_id("lot1")}).ok());
  CHECK(w.order().state == OrderState::completed);
  CHECK(w.fees() == 550);  // 5 % of 11,000
  CHECK(w.payable("seller") == 11'000 - 550);
  CHECK(w.settlement.balance(escrow_account(lot_id("lot1"))) == 0);
  CHECK(w.settlement.balance(world_account(eur())) == -55'000);
  CHECK(w.settlement.check().empty());
}

TEST_CASE("receipt is confirmed automatically when the confirmation window ends") {
  World w;
  sell_to_alice(w);
  REQUIRE(w.input(kClosedAt, Pay{user("alice"), lot_id("lot1")}).ok());
  REQUIRE(w.input(kClosedAt + 1, Ship{lot_id("lot1"), "track-1"}).ok());
  const TimeMs due = w.order().confirm_due_ms;
  CHECK(w.settlement.next_timer_ms() == due);
  w.input(due - 1, SettleTick{});
  CHECK(w.order().state == OrderState::shipped);
  w.input(due, SettleTick{});
  CHECK(w.order().state == OrderState::completed);
  CHECK(w.payable("seller") == 11'000 - 550);
  CHECK(!w.settlement.next_timer_ms());
}

TEST_CASE("no payment within the window: defaulted, the deposit forfeited to the seller") {
  World w;
  sell_to_alice(w);
  w.input(kClosedAt + 72 * kHour - 1, SettleTick{});
  CHECK(w.order().state == OrderState::awaiting_payment);
  w.input(kClosedAt + 72 * kHour, SettleTick{});
  CHECK(w.order().state == OrderState::defaulted);
  CHECK(w.fees() == 50);  // 5 % of the 1,000 deposit
  CHECK(w.payable("seller") == 950);
  CHECK(w.wallet("alice") == 49'000);
  // A late payment is refused and moves nothing.
  const Answer late = w.input(kClosedAt + 73 * kHour, Pay{user("alice"), lot_id("lot1")});
  CHECK(late.error == SettleError::wrong_state);
  CHECK(w.wallet("alice") == 49'000);
}

TEST_CASE("a forfeited deposit can go to the platform instead") {
  World w;
  SettlementConfig config;
  config.forfeit_to = ForfeitTo::platform;
  REQUIRE(w.input(kT0, Configure{config}).ok());
  sell_to_alice(w);
  w.input(kClosedAt + 72 * kHour, SettleTick{});
  CHECK(w.order().state == OrderState::defaulted);
  CHECK(w.fees() == 1'000);
  CHECK(w.payable("seller") == 0);
}

TEST_CASE("a dispute stops the automatic confirmation — a refund returns everything paid") {
  World w;
  sell_to_alice(w);
  REQUIRE(w.input(kClosedAt, Pay{user("alice"), lot_id("lot1")}).ok());
  REQUIRE(w.input(kClosedAt, Ship{lot_id("lot1"), "track-1"}).ok());
  REQUIRE(w.input(kClosedAt + kDay, OpenDispute{user("alice"), lot_id("lot1"), "broken"}).ok());
  CHECK(w.order().state == OrderState::disputed);
  CHECK(w.order().dispute_reason == "broken");
  w.input(kClosedAt + 30 * kDay, SettleTick{});  // past the confirmation window
  CHECK(w.order().state == OrderState::disputed);
  REQUIRE(w.input(kClosedAt + 31 * kDay, Resolve{lot_id("lot1"), Resolution::refund}).ok());
  CHECK(w.order().state == OrderState::refunded);
  CHECK(w.wallet("alice") == 50'000);  // deposit and payment back
  CHECK(w.payable("seller") == 0);
  CHECK(w.fees() == 0);
}

TEST_CASE("a dispute released to the seller completes the order") {
  World w;
  sell_to_alice(w);
  REQUIRE(w.input(kClosedAt, Pay{user("alice"), lot_id("lot1")}).ok());
  REQUIRE(w.input(kClosedAt, OpenDispute{user("alice"), lot_id("lot1"), "late"}).ok());
  REQUIRE(w.input(kClosedAt + kDay, Resolve{lot_id("lot1"), Resolution::release}).ok());
  CHECK(w.order().state == OrderState::completed);
  CHECK(w.payable("seller") == 10'450);
  CHECK(w.fees() == 550);
}

TEST_CASE("a cancelled lot releases every deposit") {
  World w;
  w.engine(kT0, CreateLot{deposit_lot()});
  REQUIRE(w.credit("alice", 5'000, "r1").ok());
  REQUIRE(w.credit("bob", 5'000, "r2").ok());
  REQUIRE(w.register_for("alice", "lot1").ok());
  REQUIRE(w.register_for("bob", "lot1").ok());
  REQUIRE(accepted(w.engine(kT0 + 2'000, PlaceBid{lot_id("lot1"), user("bob"), 10'000}).back()));
  w.engine(kT0 + 3'000, CancelLot{lot_id("lot1")});
  CHECK(w.wallet("alice") == 5'000);
  CHECK(w.wallet("bob") == 5'000);
  CHECK(w.settlement.find_order(lot_id("lot1")) == nullptr);
  CHECK(w.settlement.open_holds().empty());
  // Bidding is over: a new hold is refused.
  CHECK(w.input(kT0 + 4'000, Register{user("carol"), lot_id("lot1")}).error ==
        SettleError::lot_closed);
}

TEST_CASE("an unsold lot (reserve not met) releases every deposit") {
  World w;
  LotConfig config = deposit_lot();
  config.reserve_minor = 20'000;
  w.engine(kT0, CreateLot{config});
  REQUIRE(w.credit("alice", 5'000, "r1").ok());
  REQUIRE(w.register_for("alice", "lot1").ok());
  REQUIRE(accepted(w.engine(kT0 + 2'000, PlaceBid{lot_id("lot1"), user("alice"), 10'000}).back()));
  w.engine(kClosedAt, Tick{});
  CHECK(w.harness.lot().outcome == Outcome::unsold);
  CHECK(w.wallet("alice") == 5'000);
  CHECK(w.settlement.find_order(lot_id("lot1")) == nullptr);
}

TEST_CASE("a deposit above the price pays it all — the rest goes back — a waived winner owes all") {
  World w;
  LotConfig config = deposit_lot("lot1", 20'000);
  w.engine(kT0, CreateLot{config});
  REQUIRE(w.credit("alice", 30'000, "r1").ok());
  REQUIRE(w.register_for("alice", "lot1").ok());
  REQUIRE(accepted(w.engine(kT0 + 2'000, PlaceBid{lot_id("lot1"), user("alice"), 10'000}).back()));
  w.engine(kClosedAt, Tick{});
  CHECK(w.order().state == OrderState::paid);  // nothing due
  CHECK(w.order().deposit_applied_minor == 10'000);
  CHECK(w.wallet("alice") == 20'000);

  w.engine(kT0 + 20'000, CreateLot{deposit_lot("lot2", 1'000, kT0 + 21'000)});
  w.engine(kT0 + 20'000, QualifyBidder{lot_id("lot2"), user("bob"), QualifySource::waiver});
  REQUIRE(accepted(w.engine(kT0 + 22'000, PlaceBid{lot_id("lot2"), user("bob"), 10'000}).back()));
  w.engine(kT0 + 40'000, Tick{});
  CHECK(w.order("lot2").deposit_applied_minor == 0);
  CHECK(w.order("lot2").due_minor() == 10'000);
}

TEST_CASE("refused inputs are answered with their code and move nothing") {
  World w;
  sell_to_alice(w);
  const auto refused = [&](InputBody body, SettleError expected) {
    const AmountMinor alice = w.wallet("alice"), bob = w.wallet("bob");
    const std::uint64_t transfers = w.settlement.transfer_count();
    const Answer answer = w.input(kClosedAt + 1, std::move(body));
    CHECK(answer.error == expected);
    CHECK(!answer.message.empty());
    CHECK(w.wallet("alice") == alice);
    CHECK(w.wallet("bob") == bob);
    CHECK(w.settlement.transfer_count() == transfers);
  };
  refused(Credit{user("bob"), eur(), 0, "x1", CreditSource::webhook}, SettleError::invalid_amount);
  refused(Credit{user("bob"), eur(), kMaxAmountMinor + 1, "x1", CreditSource::webhook},
          SettleError::invalid_amount);
  refused(Credit{user("bob"), eur(), 100, "bank-a1", CreditSource::webhook},
          SettleError::duplicate_reference);
  refused(Credit{user("bob"), eur(), 100, "has space", CreditSource::webhook},
          SettleError::invalid_input);
  refused(Credit{user("bob"), eur(), 100, "", CreditSource::webhook}, SettleError::invalid_input);
  refused(Register{user("bob"), lot_id("nope")}, SettleError::unknown_lot);
  refused(Register{user("carol"), lot_id("lot1")}, SettleError::lot_closed);
  refused(Pay{user("bob"), lot_id("lot1")}, SettleError::not_buyer);
  refused(Pay{user("alice"), lot_id("nope")}, SettleError::unknown_order);
  refused(Ship{lot_id("lot1"), "t"}, SettleError::wrong_state);  // not paid yet
  refused(ConfirmReceipt{user("alice"), lot_id("lot1")}, SettleError::wrong_state);
  refused(OpenDispute{user("alice"), lot_id("lot1"), "why"}, SettleError::wrong_state);
  refused(Resolve{lot_id("lot1"), Resolution::refund}, SettleError::wrong_state);
  SettlementConfig bad;
  bad.fee_bps = 10'001;
  refused(Configure{bad}, SettleError::invalid_input);

  // Insufficient funds: for a deposit, and for the balance due.
  w.engine(kClosedAt + 1, CreateLot{deposit_lot("lot2", 100'000, kClosedAt + 10)});
  refused(Register{user("bob"), lot_id("lot2")}, SettleError::insufficient_funds);
  w.engine(kClosedAt + 1, CreateLot{deposit_lot("lot3", 0, kClosedAt + 10)});
  refused(Register{user("bob"), lot_id("lot3")}, SettleError::no_deposit);
  REQUIRE(
      w.input(kClosedAt + 2, Credit{user("alice"), eur(), 1, "drain", CreditSource::webhook}).ok());
  REQUIRE(w.input(kClosedAt + 2, Pay{user("alice"), lot_id("lot1")}).ok());
  refused(Pay{user("alice"), lot_id("lot1")}, SettleError::wrong_state);  // paid twice
  refused(Ship{lot_id("lot1"), std::string(kMaxTrackingBytes + 1, 'x')},
          SettleError::invalid_input);
  refused(OpenDispute{user("alice"), lot_id("lot1"), ""}, SettleError::invalid_input);
}

TEST_CASE("a payment larger than the wallet is refused insufficient_funds — paying later works") {
  World w;
  w.engine(kT0, CreateLot{deposit_lot()});
  REQUIRE(w.credit("carol", 2'000, "c1").ok());
  REQUIRE(w.register_for("carol", "lot1").ok());
  REQUIRE(accepted(w.engine(kT0 + 2'000, PlaceBid{lot_id("lot1"), user("carol"), 10'000}).back()));
  w.engine(kClosedAt, Tick{});
  const Answer short_of = w.input(kClosedAt + 1, Pay{user("carol"), lot_id("lot1")});
  CHECK(short_of.error == SettleError::insufficient_funds);
  CHECK(w.wallet("carol") == 1'000);
  CHECK(w.order().state == OrderState::awaiting_payment);
  REQUIRE(w.credit("carol", 8'000, "c2", kClosedAt + 2).ok());
  CHECK(w.input(kClosedAt + 3, Pay{user("carol"), lot_id("lot1")}).ok());
  CHECK(w.wallet("carol") == 0);
}

TEST_CASE("registering twice holds the deposit once") {
  World w;
  w.engine(kT0, CreateLot{deposit_lot()});
  REQUIRE(w.credit("alice", 5'000, "r1").ok());
  REQUIRE(w.register_for("alice", "lot1").held_minor == 1'000);
  REQUIRE(w.register_for("alice", "lot1").held_minor == 1'000);
  CHECK(w.wallet("alice") == 4'000);
}

TEST_CASE("fees are exact and never overflow") {
  CHECK(fee_of(11'000, 500) == 550);
  CHECK(fee_of(1, 9'999) == 0);
  CHECK(fee_of(kMaxAmountMinor, 10'000) == kMaxAmountMinor);
  CHECK(fee_of(kMaxAmountMinor, 9'999) == 999'900'000'000'000);
  CHECK(fee_of(123'456'789'012'345, 333) == 123'456'789'012'345 * 333 / 10'000);
}

TEST_CASE("a replay of the recorded steps yields the same digest") {
  World w;
  sell_to_alice(w);
  REQUIRE(w.input(kClosedAt, Pay{user("alice"), lot_id("lot1")}).ok());
  REQUIRE(w.input(kClosedAt, Ship{lot_id("lot1"), "t"}).ok());
  w.input(kClosedAt + 11 * kDay, SettleTick{});
  CHECK(replay(w.steps).digest() == w.settlement.digest());
  CHECK(w.notices_seen >= 4);  // created, paid, shipped, completed
}

}  // namespace
}  // namespace auction::testing
