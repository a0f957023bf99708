// Running the built auctionctl against a test auctiond (auctiond_fixture.h) and reading what it
// prints: the helpers every auctionctl end-to-end test file shares.
//
// Contract: ctl() finds the server through --data-dir, as on the server's machine; ok(), json()
// and check_error() assert the exit code and, for errors, exactly one line on stderr.
// Threading: test thread only.
#pragma once

#include <doctest/doctest.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "../gateway/auctiond_fixture.h"
#include "../support/run_command.h"

namespace auction::testing {

namespace dom = simdjson::dom;
using namespace std::chrono_literals;

using Env = std::vector<std::pair<std::string, std::string>>;

// ---------------------------------------------------------------------------------------------
// Running auctionctl.

// One auctionctl run: what came back, and the command line for failure messages.
struct Run : CommandResult {
  std::string command;
};

inline std::string quoted(const std::string& arg) {
  return arg.find_first_of(" !\"'") == std::string::npos ? arg : '"' + arg + '"';
}

inline Run run_ctl(const std::vector<std::string>& args, const Env& env = {}) {
  std::vector<std::string> argv = {AUCTIONCTL};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string command = "auctionctl";
  for (const std::string& arg : args)
    command += " " + quoted(arg);
  return Run{run_command(argv, 20s, env), command};
}

// auctionctl against `server`: --data-dir is how it finds admin.url and admin.token.
inline Run ctl(const Auctiond& server, const std::vector<std::string>& args, const Env& env = {}) {
  std::vector<std::string> with_dir = {"--data-dir", server.data_dir};
  with_dir.insert(with_dir.end(), args.begin(), args.end());
  return run_ctl(with_dir, env);
}

inline std::string describe(const Run& run) {
  return run.command + "\n  exit code: " + std::to_string(run.exit_code) +
         "\n  stderr: " + run.err + "\n  stdout: " + run.out.substr(0, 4000);
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Exactly one non-empty line (the contract for every error).
inline bool one_line(const std::string& output) {
  const auto newline = output.find('\n');
  return !output.empty() && newline != 0 &&
         (newline == std::string::npos || newline + 1 == output.size());
}

// A line of `output` holding every one of `words` (a table's header, say).
inline bool has_line_with(const std::string& output, std::initializer_list<const char*> words) {
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    const auto has = [&](const char* word) { return contains(line, word); };
    if (std::all_of(words.begin(), words.end(), has)) return true;
  }
  return false;
}

// A command that must succeed.
inline Run ok(Run run) {
  REQUIRE_MESSAGE(run.exit_code == 0, describe(run));
  return run;
}

// A refused command: the contract's exit code, and the reason as one line on stderr.
inline void check_error(const Run& run, int exit_code) {
  CHECK_MESSAGE(run.exit_code == exit_code, describe(run));
  CHECK_MESSAGE(one_line(run.err), describe(run));
}

// The --json output of a command that must succeed.
inline Message json(const Run& run) {
  REQUIRE_MESSAGE(run.exit_code == 0, describe(run));
  return Message(std::optional<std::string>(run.out));
}

// `lots create` for lot `id` with valid flags: open now for 10 minutes, start 1000, increment
// 100. `changes` replace flags; a change to "" leaves the flag out.
inline std::vector<std::string> create_args(
    const std::string& id, const std::map<std::string, std::string>& changes = {}) {
  std::map<std::string, std::string> flags = {{"--title", "Lot " + id}, {"--seller", "gallery"},
                                              {"--currency", "EUR"},    {"--start-price", "1000"},
                                              {"--increment", "100"},   {"--timed", "10m"},
                                              {"--extension", "1m"},    {"--starts-at", "now"}};
  for (const auto& [flag, value] : changes)
    flags[flag] = value;
  std::vector<std::string> args = {"lots", "create", "--id", id};
  for (const auto& [flag, value] : flags) {
    if (value.empty()) continue;
    args.push_back(flag);
    args.push_back(value);
  }
  return args;
}

// ---------------------------------------------------------------------------------------------
// Reading JSON (the elements point into their Message, which must outlive them).

inline std::string text(dom::element node, std::string_view key) {
  std::string_view value;
  if (node[key].get(value) != simdjson::SUCCESS) return "<missing or not a string>";
  return std::string(value);
}

inline std::int64_t integer(dom::element node, std::string_view key) {
  std::int64_t value = -1;
  if (node[key].get(value) != simdjson::SUCCESS) return -1;
  return value;
}

inline std::string boolean(dom::element node, std::string_view key) {
  bool value = false;
  if (node[key].get(value) != simdjson::SUCCESS) return "<missing or not a bool>";
  return value ? "true" : "false";
}

inline std::vector<dom::element> items(dom::element node, std::string_view key) {
  dom::array array;
  REQUIRE_MESSAGE(node[key].get(array) == simdjson::SUCCESS,
                  (std::string(key) + " is not an array"));
  std::vector<dom::element> result;
  for (const dom::element item : array)
    result.push_back(item);
  return result;
}

inline std::optional<dom::element> find_by(const std::vector<dom::element>& list,
                                           std::string_view key, std::string_view value) {
  for (const dom::element& item : list) {
    if (text(item, key) == value) return item;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Lots as auctionctl reports them.

inline std::set<std::string> lot_ids(const Auctiond& server) {
  const Message list = json(ctl(server, {"lots", "list", "--json"}));
  std::set<std::string> ids;
  for (const dom::element lot : items(list.root(), "lots"))
    ids.insert(text(lot, "lot"));
  return ids;
}

inline bool lot_exists(const Auctiond& server, const std::string& lot) {
  return lot_ids(server).count(lot) != 0;
}

inline std::string phase_of(const Auctiond& server, const std::string& lot) {
  return json(ctl(server, {"lots", "show", lot, "--json"})).str("phase");
}

// Polls until the lot reaches `phase` (bounded); returns the last phase seen.
inline std::string wait_for_phase(const Auctiond& server, const std::string& lot,
                                  const std::string& phase) {
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  std::string seen = phase_of(server, lot);
  while (seen != phase && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);
    seen = phase_of(server, lot);
  }
  return seen;
}

// ---------------------------------------------------------------------------------------------
// Bidders over WebSocket.

inline Message ask(WsClient& client, const std::string& request) {
  client.send(request);
  return Message(client.receive(5s));
}

inline Message login(WsClient& client, const std::string& user, const std::string& token) {
  return ask(client, R"({"type":"login","user":")" + user + R"(","token":")" + token + R"("})");
}

inline std::string bid_request(const std::string& lot, std::int64_t amount, const std::string& id) {
  return R"({"type":"bid","lot":")" + lot + R"(","amount":)" + std::to_string(amount) +
         R"(,"id":")" + id + R"("})";
}

// The answer to `request`: the message echoing `id` (events and order notices may come first).
inline std::unique_ptr<Message> answer_to(WsClient& client, const std::string& request,
                                          const std::string& id) {
  client.send(request);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto message = std::make_unique<Message>(client.receive(10s));
    if (message->str("id") == id) return message;
  }
  FAIL("no answer to " << request);
  return nullptr;
}

inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace auction::testing
