// libFuzzer target: the engine itself. The input is decoded into a command stream (each command
// from a few bytes: kind, lot, bidder, amount step, time step) over a handful of lots and
// bidders, so the fuzzer reaches deep states quickly: increment tables, maximum bids and
// priority grants and matches included. Each command is applied to the engine and
// to the reference model (tests/engine/reference_model.h); their events must be equal, and a
// snapshot restored into a second engine must continue identically. Any difference aborts.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "../engine/harness.h"
#include "../engine/reference_model.h"
#include "fuzz_bytes.h"

using namespace auction;
using namespace auction::testing;

namespace {

class Recorder final : public EventSink {
 public:
  void on_event(const Event& event) override { events.push_back(event); }
  std::vector<Event> events;
};

LotConfig fuzz_lot(FuzzBytes& in, TimeMs now_ms) {
  LotConfig config = lot_config("lot" + std::to_string(in.next() % 6));
  config.starts_at_ms = now_ms + (in.next() % 8) * 500;
  config.timed_ms = (in.next() % 5) * 1'000;
  config.extension_ms = (in.next() % 4) * 700;
  config.increment_minor = 1 + in.next() % 30;
  config.start_price_minor = 1 + in.next() % 200;
  config.reserve_minor = in.next() % 3 == 0 ? config.start_price_minor + in.next() * 10 : 0;
  config.deposit_minor = in.next() % 4 == 0 ? 100 : 0;
  config.latest_close_at_ms = in.next() % 5 == 0 ? config.starts_at_ms + 1 + in.next() * 40 : 0;
  const std::uint8_t rules = in.next();
  if (rules % 4 == 0) {  // a small increment table (SPEC §4.1): the model walks it rung by rung
    config.increment_minor = 0;
    config.increments = {{0, 1 + rules % 7}, {50 + rules, 5 + rules % 11}};
  }
  config.max_bids = rules % 5 != 1;
  return config;
}

CommandBody next_body(FuzzBytes& in, TimeMs now_ms, const ReferenceModel& model) {
  const std::uint8_t kind = in.next() % 16;
  const LotId lot = lot_id("lot" + std::to_string(in.next() % 6));
  const UserId bidder = user("b" + std::to_string(in.next() % 4));
  switch (kind) {
    case 0:
      return CreateLot{fuzz_lot(in, now_ms)};
    case 1:
      return EditLot{fuzz_lot(in, now_ms)};
    case 2:
      return QualifyBidder{lot, bidder,
                           in.next() % 2 ? QualifySource::waiver : QualifySource::deposit_held};
    case 3:
      return PauseLot{lot};
    case 4:
      return ResumeLot{lot};
    case 5:
      return CancelLot{lot};
    case 6:
      return Restart{};
    case 7:
      return Tick{};
    case 8:
      return CreateLots{{fuzz_lot(in, now_ms), fuzz_lot(in, now_ms)}};
    case 9:  // SPEC §4.3: ranks 1-3 meet; 0 and 100 are refused
      return GrantPriority{lot, bidder, in.next() % 4 == 3 ? 100u : in.next() % 4u};
    case 10:
    case 11: {  // SPEC §4.2: a maximum a few rungs from the next admissible bid
      const ReferenceModel::Lot* state = model.find(lot.view());
      const auto min_next = state != nullptr ? state->min_next() : std::nullopt;
      const std::uint8_t step = in.next();
      const AmountMinor max = min_next ? *min_next + (step % 40) * 3 - 5 : step * 9;
      return PlaceMaxBid{lot, bidder, max};
    }
    default: {
      // Mostly near the next admissible amount, sometimes anything at all.
      const ReferenceModel::Lot* state = model.find(lot.view());
      const auto min_next = state != nullptr ? state->min_next() : std::nullopt;
      const std::uint8_t step = in.next();
      AmountMinor amount = static_cast<AmountMinor>(step) * 7;
      if (min_next && step < 200) amount = *min_next + (step % 4) * state->config.increment_minor;
      if (state != nullptr && state->price != 0 && step >= 200 && step < 230) {
        amount = state->price;  // a priority purchaser's match (SPEC §4.3), or a refused one
      }
      if (step == 255) amount = kMaxAmountMinor + 1;
      return PlaceBid{lot, bidder, amount};
    }
  }
}

std::vector<Event> without_messages(std::vector<Event> events) {
  for (Event& event : events) {
    if (auto* rejected = std::get_if<CommandRejected>(&event.body)) rejected->message = {};
  }
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzBytes in(data, size);
  const EngineLimits limits{8, 16};
  Engine engine(limits), restored(limits);
  ReferenceModel model(limits);
  TimeMs now_ms = kT0;
  Seq seq = 0;
  for (int i = 0; !in.empty() && i < 2'000; ++i) {
    now_ms += (in.next() % 8) * 250;
    const Command command{++seq, now_ms, next_body(in, now_ms, model)};
    Recorder live, again;
    engine.apply(command, live);
    restored.apply(command, again);
    if (without_messages(live.events) != model.apply(command)) std::abort();
    if (again.events != live.events) std::abort();
    if (i % 13 == 0) {
      if (!restored.restore(engine.snapshot()).is_ok()) std::abort();
      if (restored.state_digest() != engine.state_digest()) std::abort();
    }
  }
  return 0;
}
