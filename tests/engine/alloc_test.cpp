// Proves that the bid path performs no heap allocation: a counting global operator new is armed
// around a burst of bids (accepted and rejected, timed and extension phases, deposit checks,
// clock ticks that extend and close lots) on lots that already exist.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "harness.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<std::size_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

using namespace auction;
using namespace auction::testing;

namespace {

// Counts answers without storing them (a sink that allocates would defeat the test).
class CountingSink final : public EventSink {
 public:
  void on_event(const Event& event) override {
    accepted += std::holds_alternative<BidAccepted>(event.body);
    rejected += std::holds_alternative<BidRejected>(event.body);
    closed += std::holds_alternative<LotClosed>(event.body);
  }
  std::size_t accepted = 0, rejected = 0, closed = 0;
};

}  // namespace

TEST_CASE("the counter sees allocations (the test can fail)") {
  g_allocations = 0;
  g_counting = true;
  auto* p = new int(7);
  g_counting = false;
  delete p;
  CHECK(g_allocations == 1);
}

TEST_CASE("bids on existing lots allocate nothing, prefetch hints neither") {
  constexpr int kLots = 200;
  Engine engine(EngineLimits{kLots, 1'000});
  CountingSink sink;
  Seq seq = 0;
  TimeMs now_ms = kT0;
  std::vector<LotId> ids;
  std::vector<AmountMinor> next(kLots);
  for (int i = 0; i < kLots; ++i) {
    LotConfig config = lot_config("lot" + std::to_string(i));
    config.timed_ms = 2'000;
    config.extension_ms = 500;
    config.deposit_minor = i % 4 == 0 ? 100 : 0;
    ids.push_back(config.id);
    next[i] = config.start_price_minor;
    engine.apply(Command{++seq, now_ms, CreateLot{config}}, sink);
    engine.apply(Command{++seq, now_ms, QualifyBidder{config.id, user("alice")}}, sink);
    engine.apply(Command{++seq, now_ms, QualifyBidder{config.id, user("bob")}}, sink);
  }
  const UserId bidders[] = {user("alice"), user("bob"), user("mallory")};

  g_allocations = 0;
  g_counting = true;
  for (int round = 0; round < 20'000; ++round) {
    now_ms += 1;
    const int lot = round % kLots;
    const UserId& bidder = bidders[round % 3];
    const AmountMinor amount = round % 7 == 0 ? next[lot] + 1 : next[lot];
    engine.prefetch(ids[(lot + 2) % kLots], Engine::Prefetch::index);  // as the pipeline does
    engine.prefetch(ids[(lot + 1) % kLots], Engine::Prefetch::lot);
    engine.apply(Command{++seq, now_ms, PlaceBid{ids[lot], bidder, amount}}, sink);
    if (engine.find_lot(ids[lot])->price_minor == amount) next[lot] = amount + 10;
    if (round % 500 == 0) engine.apply(Command{++seq, now_ms, Tick{}}, sink);
  }
  // Run the clock out: every lot closes.
  engine.apply(Command{++seq, now_ms + 1'000'000, Tick{}}, sink);
  g_counting = false;

  CHECK(g_allocations == 0);
  CHECK(sink.accepted > 5'000);
  CHECK(sink.rejected > 5'000);
  CHECK(sink.closed == kLots);
}

TEST_CASE("maximum bids and increment tables allocate nothing") {
  constexpr int kLots = 100;
  Engine engine(EngineLimits{kLots, 1'000});
  CountingSink sink;
  Seq seq = 0;
  TimeMs now_ms = kT0;
  std::vector<LotId> ids;
  for (int i = 0; i < kLots; ++i) {
    LotConfig config = lot_config("lot" + std::to_string(i));
    config.timed_ms = 2'000;
    config.extension_ms = 500;
    config.reserve_minor = 5'000;  // maxima above it make the reserve rule move the price
    if (i % 2 == 0) {
      config.increment_minor = 0;
      config.increments = {{0, 10}, {1'000, 50}, {10'000, 100}};
    }
    ids.push_back(config.id);
    engine.apply(Command{++seq, now_ms, CreateLot{config}}, sink);
  }
  engine.apply(Command{++seq, now_ms + 1'000, Tick{}}, sink);
  now_ms += 1'000;
  const UserId bidders[] = {user("alice"), user("bob"), user("carol")};

  g_allocations = 0;
  g_counting = true;
  for (int round = 0; round < 20'000; ++round) {
    now_ms += 1;
    const int lot = round % kLots;
    const UserId& bidder = bidders[round % 3];
    const LotState& state = *engine.find_lot(ids[lot]);
    // Maxima above, at and below the leader's; plain bids now and then.
    const AmountMinor max = state.price_minor + 37 * (round % 11) - 50;
    if (round % 5 == 0) {
      engine.apply(Command{++seq, now_ms, PlaceBid{ids[lot], bidder, max}}, sink);
    } else {
      engine.apply(Command{++seq, now_ms, PlaceMaxBid{ids[lot], bidder, max}}, sink);
    }
  }
  engine.apply(Command{++seq, now_ms + 1'000'000, Tick{}}, sink);
  g_counting = false;

  CHECK(g_allocations == 0);
  CHECK(sink.accepted > 5'000);
  CHECK(sink.rejected > 1'000);
  CHECK(sink.closed == kLots);
}

TEST_CASE("priority matches allocate nothing") {
  constexpr int kLots = 100;
  Engine engine(EngineLimits{kLots, 1'000});
  CountingSink sink;
  Seq seq = 0;
  TimeMs now_ms = kT0;
  std::vector<LotId> ids;
  const UserId bidders[] = {user("alice"), user("tenant"), user("coowner"), user("bob")};
  for (int i = 0; i < kLots; ++i) {
    LotConfig config = lot_config("lot" + std::to_string(i));
    config.timed_ms = 2'000;
    config.extension_ms = 500;
    ids.push_back(config.id);
    engine.apply(Command{++seq, now_ms, CreateLot{config}}, sink);
    engine.apply(Command{++seq, now_ms, GrantPriority{config.id, bidders[1], 1}}, sink);
    engine.apply(Command{++seq, now_ms, GrantPriority{config.id, bidders[2], 2}}, sink);
  }
  engine.apply(Command{++seq, now_ms + 1'000, Tick{}}, sink);
  now_ms += 1'000;

  g_allocations = 0;
  g_counting = true;
  for (int round = 0; round < 20'000; ++round) {
    now_ms += 1;
    const int lot = round % kLots;
    const LotState& state = *engine.find_lot(ids[lot]);
    const UserId& bidder = bidders[(round / kLots) % 4];
    // Matches (accepted and refused) at the price, raises above it.
    const AmountMinor amount =
        state.price_minor == 0 ? 100 : state.price_minor + (round % 3 == 0 ? 10 : 0);
    engine.apply(Command{++seq, now_ms, PlaceBid{ids[lot], bidder, amount}}, sink);
  }
  engine.apply(Command{++seq, now_ms + 1'000'000, Tick{}}, sink);
  g_counting = false;

  CHECK(g_allocations == 0);
  CHECK(sink.accepted > 5'000);
  CHECK(sink.rejected > 1'000);
  CHECK(sink.closed == kLots);
}
