// Test harness for settlement: one engine and one Settlement fed in one total order, with the
// engine's commands and settlement's inputs recorded so a test can replay them.
#pragma once

#include <doctest/doctest.h>

#include <array>
#include <string>
#include <vector>

#include "../engine/harness.h"
#include "auction/settlement/settlement.h"

namespace auction::testing {

using namespace settlement;

inline CurrencyCode eur() {
  return CurrencyCode::parse("EUR").value();
}

// What was fed, in order: an engine command, or a settlement input.
struct Step {
  bool engine = false;
  Command command;
  Input input;
};

class World {
 public:
  // Applies an engine command and feeds its events to settlement.
  std::vector<Event> engine(TimeMs at_ms, CommandBody body) {
    const Command command{harness.seq + 1, at_ms, body};
    auto events = harness.run(at_ms, std::move(body));
    steps.push_back(Step{true, command, {}});
    Notices notices;
    for (const Event& event : events)
      settlement.on_engine_event(event, notices);
    note(notices);
    return events;
  }
  Answer input(TimeMs at_ms, InputBody body) {
    const Input input{settlement.last_input_seq() + 1, at_ms, harness.seq, std::move(body)};
    steps.push_back(Step{false, {}, input});
    Notices notices;
    Answer answer = settlement.apply(input, notices);
    note(notices);
    return answer;
  }
  void note(const Notices& notices) {
    notices_seen += notices.orders.size();
    for (const Order& order : notices.orders)
      ++states_seen[static_cast<std::size_t>(order.state)];
    const auto violations = settlement.check();
    for (const Violation& v : violations)
      FAIL_CHECK(v.what);
  }

  Answer credit(std::string_view who, AmountMinor amount, std::string_view reference,
                TimeMs at_ms = kT0) {
    return input(at_ms, Credit{user(who), eur(), amount, std::string(reference),
                               CreditSource::operator_command});
  }
  // Holds the deposit and, as the gateway does, qualifies the bidder in the engine.
  Answer register_for(std::string_view who, std::string_view lot, TimeMs at_ms = kT0) {
    Answer answer = input(at_ms, Register{user(who), lot_id(lot)});
    if (answer.ok()) engine(at_ms, QualifyBidder{lot_id(lot), user(who)});
    return answer;
  }
  AmountMinor wallet(std::string_view who) const {
    return settlement.balance(wallet_account(user(who), eur()));
  }
  AmountMinor payable(std::string_view who) const {
    return settlement.balance(payable_account(user(who), eur()));
  }
  AmountMinor fees() const { return settlement.balance(fees_account(eur())); }
  const Order& order(std::string_view lot = "lot1") const {
    const Order* found = settlement.find_order(lot_id(lot));
    REQUIRE(found != nullptr);
    return *found;
  }

  Harness harness;
  Settlement settlement;
  std::vector<Step> steps;
  std::size_t notices_seen = 0;
  std::array<std::uint64_t, 8> states_seen{};  // order updates by the state they reached
};

// Replays recorded steps into a fresh engine and settlement, merged as they were applied.
inline Settlement replay(const std::vector<Step>& steps) {
  Engine engine;
  Settlement out;
  RecordingSink sink;
  for (const Step& step : steps) {
    Notices notices;
    if (step.engine) {
      sink.events.clear();
      engine.apply(step.command, sink);
      for (const Event& event : sink.events)
        out.on_engine_event(event, notices);
    } else {
      out.apply(step.input, notices);
    }
  }
  return out;
}

}  // namespace auction::testing
