// gateway_bench: the lot board's side of every accepted bid, on one thread.
//
//   BM_BoardPublish   BidAccepted events on lots picked at random from N lots, published in
//                     batches of 64 (a group commit's worth, as the journal's writer does), with
//                     nobody subscribed: the lot's public state and recent bids are updated, no
//                     frame is built. Every node runs this for every bid, the followers of a
//                     shard included.
//   BM_EncodeAccepted the `accepted` answer of a bid, with a request id, as the dispatcher makes
//                     one for every accepted bid.
//   BM_DecodeBid      a bid's frame copied into the padded buffer and decoded, as a connection
//                     does for every bid it reads.
// Reports items (events, answers) per second.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "auction/gateway/lot_board.h"
#include "auction/gateway/protocol.h"
#include "bench_support.h"

namespace {

using namespace auction;

using bench::bench_lot;
using bench::kT0;
constexpr std::size_t kBatch = 64;

void BM_BoardPublish(benchmark::State& state) {
  const int lots = static_cast<int>(state.range(0));
  gateway::LotBoard board;
  Seq seq = 0;
  for (int i = 0; i < lots; ++i) {
    const Event configured{++seq, kT0, LotConfigured{bench_lot(i), true}};
    board.publish({&configured, 1}, kT0);
  }
  // 64 Ki events on random lots, made before the clock runs; amounts only go up per lot.
  std::mt19937_64 random(42);
  std::uniform_int_distribution<int> pick(0, lots - 1);
  const UserId bidder = *UserId::parse("bidder7");
  std::vector<Event> events;
  for (int i = 0; i < 65'536; ++i) {
    const int lot = pick(random);
    BidAccepted bid{bench_lot(lot).id, bidder,         1'000 + 50 * i,
                    kT0 + 86'400'000,  1'050 + 50 * i, static_cast<std::uint32_t>(i + 1)};
    bid.leader_max_minor = bid.amount_minor;
    events.push_back(Event{++seq, kT0, std::move(bid)});
  }
  std::size_t at = 0;
  for (auto _ : state) {
    board.publish({events.data() + at, kBatch}, kT0);
    at = (at + kBatch) % events.size();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatch));
  benchmark::DoNotOptimize(board.lot_count());
}
BENCHMARK(BM_BoardPublish)->Arg(1'000)->Arg(10'000);

void BM_EncodeAccepted(benchmark::State& state) {
  const gateway::RequestId id = "b-1234567";
  gateway::AcceptedBid bid;
  bid.lot = *LotId::parse("open-417");
  bid.amount_minor = 1'234'550;
  bid.price_minor = 1'234'550;
  bid.seq = 98'765'432;
  bid.deadline_ms = kT0 + 86'400'000;
  bid.min_next_minor = 1'234'600;
  std::size_t bytes = 0;
  std::string answer;  // the buffer is reused, as a connection reuses a sent answer's
  for (auto _ : state) {
    answer = gateway::encode_accepted(id, bid, kT0, std::move(answer));
    bytes += answer.size();
    benchmark::DoNotOptimize(answer.data());
  }
  state.SetItemsProcessed(state.iterations());
  benchmark::DoNotOptimize(bytes);
}
BENCHMARK(BM_EncodeAccepted);

void BM_DecodeBid(benchmark::State& state) {
  const std::string text = R"({"type":"bid","id":"c17-000123","lot":"open-417","amount":1234600})";
  gateway::PaddedFrame frame;
  gateway::Request request;
  std::int64_t amounts = 0;
  for (auto _ : state) {
    frame.assign(text);
    if (gateway::decode_request(frame, request)) state.SkipWithError("the bid did not decode");
    amounts += request.amount_minor;
  }
  state.SetItemsProcessed(state.iterations());
  benchmark::DoNotOptimize(amounts);
}
BENCHMARK(BM_DecodeBid);

}  // namespace

BENCHMARK_MAIN();
