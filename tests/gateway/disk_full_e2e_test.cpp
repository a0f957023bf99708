// A full disk under auctiond (issue 17): a small tmpfs made by the test. Bids are refused
// `unavailable` and nothing acknowledged is lost; one line names the cause and one the recovery;
// /healthz is 503 with the reason; /metrics shows the disk's free space; freeing space resumes
// bidding without a restart.
#include <doctest/doctest.h>

#include "../support/small_disk.h"
#include "auctiond_fixture.h"

using namespace auction::testing;
using namespace std::chrono_literals;

namespace {

long long metric(const Auctiond& server, const std::string& name) {
  const auto [status, body] = http_get(server.port, "/metrics");
  const auto at = body.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stoll(body.substr(at + name.size() + 2));
}

// Waits for a line of auctiond's that holds `text`.
bool saw_line(Auctiond& server, const std::string& text, std::chrono::seconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto line = server.next_line(1s);
    if (line && line->find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE(
    "a full disk: bids refused with the reason told, nothing lost, bidding resumes by itself") {
  SmallDisk disk(48);
  const std::string data = disk.path + "/data";
  Auctiond server({"--demo-open-lots", "1", "--bids-per-second", "100000", "--bid-burst", "100000",
                   "--messages-per-second", "100000", "--message-burst", "100000"},
                  &data);
  auto alice = server.login("alice");
  auto bob = server.login("bob");
  std::int64_t amount = 1000, accepted = 0;
  const auto bid = [&](WsClient& client) {
    client.send(R"({"type":"bid","lot":"open-0","amount":)" + std::to_string(amount) + "}");
    const Message answer(client.receive(5s));
    if (answer.str("type") == "accepted") {
      ++accepted;
      amount += 50;
    }
    return answer.str("type") == "accepted" ? std::string("accepted") : answer.str("code");
  };
  for (int i = 0; i < 10; ++i)
    REQUIRE(bid(i % 2 ? *bob : *alice) == "accepted");
  CHECK(http_get(server.port, "/healthz").status == 200);

  disk.fill();
  // The journal sees the disk full at its next commit: from then on, `unavailable`.
  std::string code = "accepted";
  for (int i = 0; i < 20 && code == "accepted"; ++i)
    code = bid(accepted % 2 ? *bob : *alice);
  CHECK(code == "unavailable");
  CHECK(saw_line(server, "auctiond: durability stopped: the journal has no room", 5s));
  const auto [status, health] = http_get(server.port, "/healthz");
  CHECK(status == 503);
  CHECK(health.find(R"("reason":"the journal has no room)") != std::string::npos);
  const long long free_bytes = metric(server, "auction_journal_free_bytes");
  CHECK(free_bytes >= 0);
  CHECK(free_bytes < 16LL << 20);  // the disk's room, not the configured 8 GiB

  disk.free_filler();
  CHECK(saw_line(server, "auctiond: commands are durable again", 5s));
  CHECK(http_get(server.port, "/healthz").status == 200);
  CHECK(bid(accepted % 2 ? *bob : *alice) == "accepted");
  // Nothing acknowledged was lost: the lot counts every accepted bid, before and after.
  auto watcher = server.client();
  watcher->send(R"({"type":"subscribe","lot":"open-0"})");
  const Message snapshot(watcher->receive(5s));
  CHECK(snapshot.num("bids") == accepted);
  CHECK(server.stop() == 0);
}
