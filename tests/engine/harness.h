// Test harness for the engine: builds configs, sequences commands, records events.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "auction/engine/describe.h"
#include "auction/engine/engine.h"

namespace auction::testing {

inline constexpr TimeMs kT0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

inline LotId lot_id(std::string_view text) {
  return LotId::parse(text).value();
}
inline UserId user(std::string_view text) {
  return UserId::parse(text).value();
}

// A valid lot starting at kStart with a 10 s timed phase (to kTimedEnd) and a 5 s extension.
inline constexpr TimeMs kStart = kT0 + 1'000;
inline constexpr TimeMs kTimedEnd = kStart + 10'000;
inline LotConfig lot_config(std::string_view id = "lot1") {
  LotConfig config;
  config.id = lot_id(id);
  config.title = Title::parse("Test lot").value();
  config.seller = user("seller");
  config.currency = CurrencyCode::parse("EUR").value();
  config.start_price_minor = 100;
  config.increment_minor = 10;
  config.reserve_minor = 0;
  config.deposit_minor = 0;
  config.starts_at_ms = kStart;
  config.timed_ms = kTimedEnd - kStart;
  config.extension_ms = 5'000;
  config.latest_close_at_ms = 0;
  return config;
}

class RecordingSink final : public EventSink {
 public:
  void on_event(const Event& event) override { events.push_back(event); }
  std::vector<Event> events;
};

// Drives one engine with increasing sequence numbers; each call returns the events it caused.
class Harness {
 public:
  explicit Harness(const EngineLimits& limits = {}) : engine(limits) {}

  std::vector<Event> run(TimeMs at_ms, CommandBody body) {
    RecordingSink sink;
    engine.apply(Command{++seq, at_ms, std::move(body)}, sink);
    return sink.events;
  }
  std::vector<Event> create(const LotConfig& config, TimeMs at_ms = kT0) {
    return run(at_ms, CreateLot{config});
  }
  std::vector<Event> tick(TimeMs at_ms) { return run(at_ms, Tick{}); }
  // A bid's own answer: the last event the command produced.
  Event bid(TimeMs at_ms, std::string_view bidder, AmountMinor amount_minor,
            std::string_view lot = "lot1") {
    auto events = run(at_ms, PlaceBid{lot_id(lot), user(bidder), amount_minor});
    return events.back();
  }
  const LotState& lot(std::string_view id = "lot1") const {
    const LotState* state = engine.find_lot(lot_id(id));
    if (state == nullptr) throw std::runtime_error("no lot " + std::string(id));
    return *state;
  }

  Engine engine;
  Seq seq = 0;
};

inline bool accepted(const Event& event) {
  return std::holds_alternative<BidAccepted>(event.body);
}
inline std::optional<RejectCode> reject_code(const Event& event) {
  if (const auto* rejected = std::get_if<BidRejected>(&event.body)) return rejected->code;
  return std::nullopt;
}
// The reject code of an event that must be a rejection (else the test fails, naming the event).
inline RejectCode code_of(const Event& event) {
  if (!reject_code(event)) throw std::logic_error("not a rejection: " + describe(event));
  return *reject_code(event);
}
inline std::optional<CommandError> command_error(const std::vector<Event>& events) {
  for (const Event& event : events) {
    if (const auto* rejected = std::get_if<CommandRejected>(&event.body)) return rejected->error;
  }
  return std::nullopt;
}
inline std::string config_problem_field(const std::vector<Event>& events) {
  for (const Event& event : events) {
    if (const auto* rejected = std::get_if<CommandRejected>(&event.body)) {
      return std::string(rejected->field);
    }
  }
  return {};
}
template <typename Body>
std::vector<Body> bodies(const std::vector<Event>& events) {
  std::vector<Body> out;
  for (const Event& event : events) {
    if (const auto* body = std::get_if<Body>(&event.body)) out.push_back(*body);
  }
  return out;
}

}  // namespace auction::testing
