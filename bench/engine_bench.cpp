// engine_bench: the core's bid path on one thread.
//
//   BM_BidAccepted   every bid is the next valid raise, on lots picked in a shuffled order from
//                    10,000 lots in their extension phase (each accepted bid moves the deadline).
//   BM_BidAcceptedPrefetched  the same, each bid's lot hinted (Engine::prefetch) before its
//                    turn, as the pipeline does for the commands of a dequeued bulk.
//   BM_MaxBidDuel    two maxima fighting on each of 10,000 lots: every command is a maximum 10
//                    rungs above the other's, so the leader's automatic bid and the new
//                    leader's come out of the one command (SPEC §4.2, closed form).
//   BM_BidRejected   a mix of reject reasons: below_minimum, not_increment_multiple,
//                    already_leading, unknown_lot, lot_not_open, invalid_amount, not_qualified,
//                    lot_closed.
//   BM_Snapshot      serializing 10,000 lots (for restart-time planning).
// Each reports items (bids) per second.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "auction/engine/engine.h"

namespace {

using namespace auction;

constexpr TimeMs kT0 = 1'767'225'600'000;

class CountingSink final : public EventSink {
 public:
  void on_event(const Event& event) override {
    accepted += std::holds_alternative<BidAccepted>(event.body);
    other += !std::holds_alternative<BidAccepted>(event.body);
  }
  std::uint64_t accepted = 0;
  std::uint64_t other = 0;
};

LotConfig bench_lot(int i) {
  LotConfig config;
  config.id = *LotId::parse("lot-" + std::to_string(i));
  config.title = *Title::parse("Benchmark lot " + std::to_string(i));
  config.seller = *UserId::parse("seller");
  config.currency = *CurrencyCode::parse("EUR");
  config.start_price_minor = 1'000;
  config.increment_minor = 50;
  config.starts_at_ms = kT0;
  config.timed_ms = 0;                         // extension-only: every bid moves the deadline
  config.extension_ms = 24LL * 3'600 * 1'000;  // long enough that nothing closes mid-run
  return config;
}

struct Fixture {
  explicit Fixture(int lots) : engine(EngineLimits{static_cast<std::uint32_t>(lots) + 8, 1'000}) {
    for (int i = 0; i < lots; ++i) {
      engine.apply(Command{++seq, kT0, CreateLot{bench_lot(i)}}, sink);
      ids.push_back(bench_lot(i).id);
    }
  }
  Engine engine;
  CountingSink sink;
  std::vector<LotId> ids;
  Seq seq = 0;
  TimeMs now_ms = kT0;
};

// Every bid the next valid raise on its lot. With kPrefetch, as the pipeline applies a dequeued
// bulk: the lots of the next two bids are hinted (Engine::prefetch), their index slots two ahead
// and the lots one ahead.
template <bool kPrefetch>
void accepted_bids(benchmark::State& state) {
  const int lots = static_cast<int>(state.range(0));
  Fixture f(lots);
  const UserId bidders[2] = {*UserId::parse("alice-bidder"), *UserId::parse("bob-bidder")};
  std::vector<AmountMinor> next(lots, 1'000);
  std::vector<std::uint8_t> turn(lots, 0);
  std::vector<std::uint32_t> order(1 << 16);
  std::mt19937 rng(42);
  for (auto& lot : order)
    lot = static_cast<std::uint32_t>(rng() % lots);
  const std::uint64_t other_before = f.sink.other;  // the fixture's own events
  const std::size_t mask = order.size() - 1;
  std::size_t k = 0;
  for (auto _ : state) {
    if constexpr (kPrefetch) {
      f.engine.prefetch(f.ids[order[(k + 2) & mask]], Engine::Prefetch::index);
      f.engine.prefetch(f.ids[order[(k + 1) & mask]], Engine::Prefetch::lot);
    }
    const std::uint32_t lot = order[k++ & mask];
    if ((k & 127) == 0) ++f.now_ms;  // ~128 bids per millisecond
    f.engine.apply(Command{++f.seq, f.now_ms, PlaceBid{f.ids[lot], bidders[turn[lot]], next[lot]}},
                   f.sink);
    next[lot] += 50;
    turn[lot] ^= 1;
  }
  if (f.sink.other != other_before) state.SkipWithError("a bid meant to be accepted was not");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_BidAccepted(benchmark::State& state) {
  accepted_bids<false>(state);
}
BENCHMARK(BM_BidAccepted)->Arg(10'000)->Arg(1'000)->Arg(100'000);

void BM_BidAcceptedPrefetched(benchmark::State& state) {
  accepted_bids<true>(state);
}
BENCHMARK(BM_BidAcceptedPrefetched)->Arg(10'000)->Arg(1'000)->Arg(100'000);

void BM_MaxBidDuel(benchmark::State& state) {
  const int lots = static_cast<int>(state.range(0));
  Fixture f(lots);
  const UserId bidders[2] = {*UserId::parse("alice-bidder"), *UserId::parse("bob-bidder")};
  std::vector<AmountMinor> max(lots, 1'000);
  std::vector<std::uint8_t> turn(lots, 0);
  std::vector<std::uint32_t> order(1 << 16);
  std::mt19937 rng(42);
  for (auto& lot : order)
    lot = static_cast<std::uint32_t>(rng() % lots);
  const std::uint64_t accepted_before = f.sink.accepted, other_before = f.sink.other;
  std::size_t k = 0;
  for (auto _ : state) {
    const std::uint32_t lot = order[k++ & (order.size() - 1)];
    if ((k & 127) == 0) ++f.now_ms;
    max[lot] += 500;  // ten rungs of 50 above the other's maximum: it takes the lead
    f.engine.apply(
        Command{++f.seq, f.now_ms, PlaceMaxBid{f.ids[lot], bidders[turn[lot]], max[lot]}}, f.sink);
    turn[lot] ^= 1;
  }
  // Each command: one MaxBidAccepted and at least one BidAccepted, and never a rejection.
  const auto commands = static_cast<std::uint64_t>(state.iterations());
  if (f.sink.accepted - accepted_before < commands || f.sink.other - other_before != commands) {
    state.SkipWithError("a maximum meant to take the lead did not");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_MaxBidDuel)->Arg(10'000);

void BM_BidRejected(benchmark::State& state) {
  constexpr int kLots = 10'000;
  Fixture f(kLots);
  const UserId alice = *UserId::parse("alice-bidder");
  const UserId bob = *UserId::parse("bob-bidder");
  // Lots in the states the rejects need: led by alice, scheduled, closed, needing a deposit.
  for (int i = 0; i < kLots; ++i) {
    f.engine.apply(Command{++f.seq, f.now_ms, PlaceBid{f.ids[i], alice, 1'000}}, f.sink);
  }
  LotConfig later = bench_lot(kLots);
  later.starts_at_ms = kT0 + 1'000'000'000;
  LotConfig deposit = bench_lot(kLots + 1);
  deposit.deposit_minor = 10'000;
  LotConfig closing = bench_lot(kLots + 2);
  closing.extension_ms = 1;
  for (const LotConfig& config : {later, deposit, closing}) {
    f.engine.apply(Command{++f.seq, f.now_ms, CreateLot{config}}, f.sink);
  }
  f.now_ms += 10;  // `closing` closes on the next command
  const LotId unknown = *LotId::parse("no-such-lot");
  std::vector<PlaceBid> mix;
  std::mt19937 rng(7);
  for (int i = 0; i < 4'096; ++i) {
    const LotId& lot = f.ids[rng() % kLots];
    switch (i % 8) {
      case 0:
        mix.push_back({lot, bob, 1'000});
        break;  // below_minimum
      case 1:
        mix.push_back({lot, bob, 1'070});
        break;  // not_increment_multiple
      case 2:
        mix.push_back({lot, alice, 1'050});
        break;  // already_leading
      case 3:
        mix.push_back({unknown, bob, 1'050});
        break;  // unknown_lot
      case 4:
        mix.push_back({later.id, bob, 1'000});
        break;  // lot_not_open
      case 5:
        mix.push_back({lot, bob, 0});
        break;  // invalid_amount
      case 6:
        mix.push_back({deposit.id, bob, 1'000});
        break;  // not_qualified
      case 7:
        mix.push_back({closing.id, bob, 1'000});
        break;  // lot_closed
    }
  }
  const std::uint64_t accepted_before = f.sink.accepted;
  std::size_t k = 0;
  for (auto _ : state) {
    f.engine.apply(Command{++f.seq, f.now_ms, mix[k++ & (mix.size() - 1)]}, f.sink);
  }
  if (f.sink.accepted != accepted_before) state.SkipWithError("a bid meant to fail was accepted");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_BidRejected);

void BM_Snapshot(benchmark::State& state) {
  Fixture f(10'000);
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string snapshot = f.engine.snapshot();
    bytes = snapshot.size();
    benchmark::DoNotOptimize(snapshot.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 10'000);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_Snapshot)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
