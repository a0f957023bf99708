// Test helpers for settlement over auctiond's real interfaces: the signed payment webhook (the
// HMAC computed here with OpenSSL directly, not with the server's code) and the admin API.
#pragma once

#include <doctest/doctest.h>
#include <openssl/hmac.h>
#include <simdjson.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "auction/persistence/journal.h"
#include "auction/persistence/settler.h"
#include "auctiond_fixture.h"

namespace auction::testing {

inline std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// HMAC-SHA256 written here with OpenSSL directly, not with the server's code.
inline std::string signature(const std::string& body, const std::string& secret) {
  unsigned char mac[32];
  unsigned size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &size);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (const unsigned char byte : mac) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0xF];
  }
  return out;
}

inline TimeMs wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One account's balance in a /v1/balances answer, 0 when it is not listed.
inline std::int64_t balance_in(const std::string& body, const std::string& account) {
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(body);
  for (simdjson::dom::element entry : root["accounts"].get_array()) {
    if (std::string_view(entry["account"].get_string()) == account) {
      return entry["balance"].get_int64();
    }
  }
  return 0;
}

class Settle {
 public:
  explicit Settle(Auctiond& server) : server_(server) {
    secret_ = read_first_line(server.data_dir + "/webhook.secret");
    token_ = read_first_line(server.admin_token_file);
    admin_port_ = static_cast<unsigned short>(
        std::stoi(server.admin_url.substr(server.admin_url.rfind(':') + 1)));
    REQUIRE(secret_.size() >= 16);
  }

  std::string notice(const std::string& user, std::int64_t amount, const std::string& reference,
                     TimeMs ts_ms = 0) const {
    return R"({"reference":")" + reference + R"(","user":")" + user +
           R"(","currency":"EUR","amount":)" + std::to_string(amount) + R"(,"timestamp_ms":)" +
           std::to_string(ts_ms == 0 ? wall_ms() : ts_ms) + "}";
  }
  HttpReply webhook(const std::string& body, std::string sig = {}) const {
    if (sig.empty()) sig = signature(body, secret_);
    return http_request(server_.port, "POST", "/webhooks/payment", body,
                        {{"X-Auction-Signature", sig}});
  }
  HttpReply admin(const std::string& method, const std::string& target,
                  const std::string& body = {}) const {
    return http_request(admin_port_, method, target, body, {{"Authorization", "Bearer " + token_}});
  }
  // The balance of one account, 0 when it does not exist.
  std::int64_t balance(const std::string& user, const std::string& account) const {
    const auto [status, body] = admin("GET", "/v1/balances?user=" + user);
    REQUIRE(status == 200);
    return balance_in(body, account);
  }
  void create_lot(const std::string& id, std::int64_t deposit, std::int64_t timed_ms,
                  std::int64_t extension_ms) const {
    const auto reply = admin("POST", "/v1/lots",
                             R"({"lots":[{"id":")" + id +
                                 R"(","title":"Deposit lot","seller":"gallery","currency":"EUR",)"
                                 R"("start_price":10000,"increment":500,"deposit":)" +
                                 std::to_string(deposit) + R"(,"starts_in_ms":0,"timed_ms":)" +
                                 std::to_string(timed_ms) + R"(,"extension_ms":)" +
                                 std::to_string(extension_ms) + "}]}");
    REQUIRE_MESSAGE(reply.status == 201, reply.body);
  }

 private:
  Auctiond& server_;
  std::string secret_, token_;
  unsigned short admin_port_ = 0;
};

// Books credits of 100 to `user` through the webhook, references PREFIX-0, PREFIX-1, ..., until
// `stop` or until the server is gone (an unanswered notice is indeterminate). For a thread of its
// own: no assertions. Returns the notices sent; the acknowledged references go to `acknowledged`.
inline int credit_until(const Settle& settle, const std::string& user, const std::string& prefix,
                        const std::atomic<bool>& stop, std::set<std::string>& acknowledged) {
  int sent = 0;
  while (!stop.load()) {
    const std::string reference = prefix + "-" + std::to_string(sent++);
    try {
      const auto [status, body] = settle.webhook(settle.notice(user, 100, reference));
      if (status == 200) acknowledged.insert(reference);
    } catch (const std::exception&) {
      break;
    }
  }
  return sent;
}

// After a crash, read-only: the ledger's invariants hold, it equals a from-scratch replay of the
// two journals, and every acknowledged reference is booked. Returns how many were not.
inline std::size_t check_ledger_after_crash(const std::string& data,
                                            const std::set<std::string>& acknowledged) {
  std::unique_ptr<persistence::Journal> journal;
  REQUIRE(persistence::Journal::open({data + "/journal", 0, true}, journal).is_ok());
  std::unique_ptr<persistence::SettlementStore> store;
  REQUIRE(persistence::SettlementStore::open(data + "/settlement", true, store).is_ok());
  settlement::LedgerAudit audit;
  REQUIRE(store->audit(audit).is_ok());
  for (const std::string& problem : audit.problems)
    FAIL_CHECK(problem);
  settlement::Settlement replayed;
  REQUIRE(persistence::replay_settlement(*journal, *store, EngineLimits{}, replayed).is_ok());
  CHECK(replayed.digest() == audit.digest);
  std::size_t lost = 0;
  for (const std::string& reference : acknowledged) {
    if (!replayed.is_booked(reference)) {
      ++lost;
      FAIL_CHECK("acknowledged reference not booked: " << reference);
    }
  }
  return lost;
}

}  // namespace auction::testing
