// auctiond itself SIGKILLed at random moments while two bidders bid over WebSocket, then
// restarted on the same data directory. After each restart: every bid that was answered
// `accepted` is in the journal at its acknowledged seq, and the lot's price is at least the
// highest acknowledged amount. AUCTION_E2E_CRASH_CYCLES sets the number of kills (default 15).
#include <doctest/doctest.h>

#include <cstdlib>
#include <random>
#include <thread>

#include "auction/persistence/journal.h"
#include "auction/persistence/record_codec.h"
#include "auctiond_fixture.h"

using namespace auction;
using namespace auction::persistence;
using namespace auction::testing;
using namespace std::chrono_literals;

TEST_CASE("auctiond killed with SIGKILL loses no acknowledged bid") {
  const char* env = std::getenv("AUCTION_E2E_CRASH_CYCLES");
  const int cycles = env != nullptr ? std::atoi(env) : 15;
  const std::uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  TempDir data;
  const std::string dir = data.path();
  std::map<std::int64_t, std::int64_t> acked;  // seq → amount
  std::int64_t amount = 10'000;
  std::uint64_t sent = 0, accepted = 0;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    CAPTURE(cycle);
    auto server = std::make_unique<Auctiond>(
        std::vector<std::string>{"--bids-per-second", "100000", "--bid-burst", "100000"}, &dir);
    auto alice = server->login("alice");
    auto bob = server->login("bob");
    // After a restart the price must be at least every acknowledged amount.
    const Message snapshot = [&] {
      alice->send(R"({"type":"subscribe","lot":"lamp"})");
      return Message(alice->receive(5s));
    }();
    std::int64_t highest = 0;
    for (const auto& [seq, value] : acked)
      highest = std::max(highest, value);
    if (highest > 0) CHECK(snapshot.num("price") >= highest);
    alice->send(R"({"type":"unsubscribe","lot":"lamp"})");
    alice->receive(5s);
    amount = std::max(amount, snapshot.num("price") + 500);

    const auto kill_after =
        std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 200)(rng));
    const auto start = std::chrono::steady_clock::now();
    WsClient* bidders[2] = {alice.get(), bob.get()};
    int turn = 0;
    while (std::chrono::steady_clock::now() - start < kill_after) {
      WsClient* who = bidders[turn ^= 1];
      who->send(R"({"type":"bid","lot":"lamp","amount":)" + std::to_string(amount) + "}");
      ++sent;
      amount += 500;
      const auto answer = who->receive(200ms);
      if (!answer) continue;  // indeterminate; the next bid is higher anyway
      const Message message(answer);
      if (message.str("type") == "accepted") {
        acked[message.num("seq")] = message.num("amount");
        ++accepted;
      }
    }
    server->kill_hard();
    // Every acknowledged bid is in the journal where it was acknowledged.
    std::unique_ptr<Journal> journal;
    REQUIRE(Journal::open(JournalOptions{dir + "/journal", 1 << 30, true}, journal).is_ok());
    for (const auto& acked_bid : acked) {
      const auto seq = acked_bid.first;  // clang 14: a binding cannot be captured by a lambda
      const auto value = acked_bid.second;
      bool found = false;
      REQUIRE(journal
                  ->scan(static_cast<Seq>(seq),
                         [&](Seq at, std::string_view bytes) {
                           Command command;
                           if (at == static_cast<Seq>(seq) &&
                               decode_record(bytes, command).is_ok()) {
                             const auto* bid = std::get_if<PlaceBid>(&command.body);
                             found = bid != nullptr && bid->amount_minor == value;
                           }
                           return false;
                         })
                  .is_ok());
      if (!found) FAIL_CHECK("acknowledged bid at seq " << seq << " is missing");
    }
  }
  MESSAGE("auctiond crash cycles " << cycles << ": bids sent " << sent << ", accepted "
                                   << accepted);
  CHECK(accepted > static_cast<std::uint64_t>(cycles));
}
