// One auctionctl run's connection to auctiond's admin interface, and reading its replies.
//
// Contract: Session::call() sends one request and either fills the reply (exit code 0) or prints
// one line on stderr and returns the exit code of docs/AUCTIONCTL.md: 1 refused by the server,
// 2 bad input (nothing sent), 3 unreachable or not applied (503), 4 admin token refused.
// Ids a command names are checked before anything is sent. Reading helpers return "-" (or
// nothing) for a field that is absent or null.
// Threading: one Session per thread.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace auctionctl {

// Exit codes (docs/AUCTIONCTL.md).
inline constexpr int kRefused = 1;
inline constexpr int kBadInput = 2;
inline constexpr int kUnreachable = 3;
inline constexpr int kUnauthorized = 4;

// Prints "auctionctl: MESSAGE" on stderr; returns `code`.
int fail(int code, const std::string& message);

struct Options {
  std::string data_dir;
  std::string server;
  std::string token_file;
  bool json = false;
  int timeout_ms = 10'000;
};

// A parsed reply; `parser` keeps the document's memory alive.
struct Reply {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
};

// One admin request, with every failure turned into its exit code and one line on stderr.
class Session {
 public:
  explicit Session(const Options& options) : options_(options) {}

  // 0 and `reply` filled, or an exit code after printing why. `explain` rewrites a refusal
  // (code, message, field, lot index) for people, e.g. with a catalogue's file and line.
  using Explain = std::function<std::string(const std::string& code, const std::string& message,
                                            const std::string& field, std::optional<std::size_t>)>;
  int call(std::string_view method, const std::string& target, const std::string& body,
           Reply& reply, const Explain& explain = nullptr);

  bool json() const { return options_.json; }
  // Ids the command names (user, lot), checked before anything is sent.
  void check_ids(std::vector<const std::string*> ids) { ids_ = std::move(ids); }

 private:
  const Options& options_;
  std::vector<const std::string*> ids_;
};

// Reading fields of a reply for tables.
std::string text(simdjson::dom::element object, std::string_view key, std::string none = "-");
std::optional<std::int64_t> number(simdjson::dom::element object, std::string_view key);
// An amount field in major units with the object's `currency` ("100.00 EUR"), or "-".
std::string amount(simdjson::dom::element object, std::string_view key);
// A time field (`*_ms`) in the local time zone, or "-".
std::string when(simdjson::dom::element object, std::string_view key);
// " (in 5m)" when `at_ms` is still ahead, else "".
std::string in_how_long(std::int64_t at_ms, std::int64_t now_ms);
std::int64_t wall_ms();

// --json: the reply as JSON; otherwise `for_people` prints it. Returns 0.
int print_reply(Session& session, const Reply& reply, const std::function<void()>& for_people);

}  // namespace auctionctl
