// auction-demo: a scripted auction run through the core, printed as it happens.
//
// It shows the rules of SPEC §3–5 at work on simulated time: a timed phase, an extension phase
// whose countdown restarts on every accepted bid, rejected bids with their codes, a reserve, and
// the transaction confirmation of the sale. Until the server exists this is the product's demo.
#include <cstdio>
#include <string>
#include <vector>

#include "auction/engine/describe.h"
#include "auction/engine/engine.h"

namespace {

using namespace auction;

constexpr TimeMs kStartMs = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

class PrintingSink final : public EventSink {
 public:
  void on_event(const Event& event) override {
    std::printf("  t+%7.3fs  %s\n", static_cast<double>(event.ts_ms - kStartMs) / 1000.0,
                describe(event).c_str());
    if (const auto* closed = std::get_if<LotClosed>(&event.body);
        closed != nullptr && closed->outcome == Outcome::sold) {
      confirmations_.push_back(*closed);
    }
  }
  std::vector<LotClosed> confirmations_;
};

LotId lot_id(const char* text) {
  return *LotId::parse(text);
}
UserId user(const char* text) {
  return *UserId::parse(text);
}

LotConfig demo_lot(const char* id, const char* title, AmountMinor start, AmountMinor increment,
                   AmountMinor reserve) {
  LotConfig config;
  config.id = lot_id(id);
  config.title = *Title::parse(title);
  config.seller = user("gallery");
  config.currency = *CurrencyCode::parse("EUR");
  config.start_price_minor = start;
  config.increment_minor = increment;
  config.reserve_minor = reserve;
  config.starts_at_ms = kStartMs + 1'000;
  config.timed_ms = 10'000;
  config.extension_ms = 5'000;
  return config;
}

}  // namespace

int main() {
  Engine engine;
  PrintingSink sink;
  Seq seq = 0;
  auto run = [&](DurationMs at_ms, CommandBody body) {
    Command command{++seq, kStartMs + at_ms, std::move(body)};
    std::printf("%s\n", describe(command).c_str());
    engine.apply(command, sink);
  };
  auto bid = [&](DurationMs at_ms, const char* lot, const char* bidder, AmountMinor amount) {
    run(at_ms, PlaceBid{lot_id(lot), user(bidder), amount});
  };

  std::printf("Scripted auction (amounts in euro cents; 10 s timed phase, 5 s extension)\n\n");
  run(0, CreateLot{demo_lot("lamp", "Art deco table lamp", 10'000, 500, 15'000)});
  run(0, CreateLot{demo_lot("vase", "Blue glass vase", 5'000, 250, 20'000)});
  bid(500, "lamp", "alice", 10'000);    // before the start: lot_not_open
  bid(1'000, "lamp", "alice", 10'000);  // exactly at the start: admissible
  bid(2'000, "lamp", "bob", 10'250);    // not a multiple of the increment
  bid(2'100, "lamp", "bob", 10'500);
  bid(2'200, "lamp", "bob", 11'000);  // already leading
  bid(3'000, "vase", "carol", 5'000);
  bid(4'000, "lamp", "carol", 10'500);  // below P + increment
  bid(9'000, "lamp", "alice", 12'000);
  run(11'000, Tick{});                   // the timed phase ends: both lots enter extension
  bid(13'000, "lamp", "bob", 13'000);    // extension: the countdown restarts at 13 s + 5 s
  run(16'000, Tick{});                   // vase: no bid in its extension; reserve not met: unsold
  bid(17'500, "lamp", "alice", 15'000);  // and again: now 22.5 s
  run(22'500, Tick{});                   // lamp: the countdown ran out, sold above its reserve
  bid(22'600, "lamp", "bob", 16'000);    // too late: lot_closed

  for (const LotClosed& sale : sink.confirmations_) {
    std::printf(
        "\nTransaction confirmation\n  lot      %s (%s)\n  seller   %s\n  winner   %s\n"
        "  price    %lld.%02lld %s\n  closed   t+%.3fs\n",
        std::string(sale.lot.view()).c_str(), std::string(sale.title.view()).c_str(),
        std::string(sale.seller.view()).c_str(), std::string(sale.winner.view()).c_str(),
        static_cast<long long>(sale.price_minor / 100),
        static_cast<long long>(sale.price_minor % 100), std::string(sale.currency.view()).c_str(),
        static_cast<double>(sale.closed_at_ms - kStartMs) / 1000.0);
  }
  std::printf("\nstate digest %016llx after %llu commands\n",
              static_cast<unsigned long long>(engine.state_digest()),
              static_cast<unsigned long long>(engine.last_seq()));
  return 0;
}
