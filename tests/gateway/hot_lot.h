// A hot lot for the gateway's fan-out tests: "hot" created through the admin API, and a bid war
// on it (alice's high maximum answered by bob's maxima, two bid events each).
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "settle_client.h"

namespace auction::testing {

using namespace std::chrono_literals;

inline const std::vector<std::string> kFastLimits = {
    "--bids-per-second",     "1000000", "--bid-burst",     "1000000",
    "--messages-per-second", "1000000", "--message-burst", "1000000"};

inline std::vector<std::string> with(std::vector<std::string> extra) {
  std::vector<std::string> args = kFastLimits;
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

inline void create_hot_lot(Auctiond& server) {
  Settle settle(server);
  const auto reply =
      settle.admin("POST", "/v1/lots",
                   R"({"lots":[{"id":"hot","title":"Hot lot","seller":"gallery","currency":"EUR",)"
                   R"("start_price":1000,"increment":10,"starts_in_ms":0,"timed_ms":600000,)"
                   R"("extension_ms":60000}]})");
  REQUIRE_MESSAGE(reply.status == 201, reply.body);
}

// Events on "hot", fast: alice leaves a high maximum, then bob's maxima come in windows, each
// one answered by alice's (two bid events per maximum).
class BidWar {
 public:
  explicit BidWar(Auctiond& server) : alice_(server.login("alice")), bob_(server.login("bob")) {
    alice_->send(R"({"type":"max_bid","lot":"hot","max":100000000,"id":"a"})");
    REQUIRE(alice_->receive(5s).value_or("").find("accepted") != std::string::npos);
  }
  // Bob's next `count` maxima; returns how many were accepted.
  int maxima(int count) {
    int accepted = 0;
    constexpr int kWindow = 100;  // within the connection's limit of answers in flight
    for (int done = 0; done < count; done += kWindow) {
      const int window = std::min(kWindow, count - done);
      for (int i = 0; i < window; ++i, ++next_) {
        bob_->send(R"({"type":"max_bid","lot":"hot","max":)" + std::to_string(1'010 + 20 * next_) +
                   R"(,"id":"b"})");
      }
      for (int i = 0; i < window; ++i)
        accepted += bob_->receive(5s).value_or("").find("accepted") != std::string::npos;
    }
    return accepted;
  }
  int sent() const { return next_; }

 private:
  std::unique_ptr<WsClient> alice_, bob_;
  int next_ = 0;
};

inline std::int64_t metric(unsigned short port, const std::string& name) {
  const auto [status, text] = http_get(port, "/metrics");
  const auto at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stoll(text.substr(at + name.size() + 2));
}

}  // namespace auction::testing
