// A replicated shard on loopback for end-to-end tests (SPEC §11): three nats-server (NatsCluster)
// and three auctiond nodes in temporary data directories, each node killable and restartable
// on its own data directory.
#pragma once

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "../gateway/auctiond_fixture.h"
#include "../persistence/temp_dir.h"
#include "../support/subprocess.h"
#include "../support/ws_client.h"
#include "auction/engine/engine.h"
#include "auction/persistence/journal.h"
#include "auction/persistence/record_codec.h"
#include "auction/persistence/recovery.h"
#include "nats_cluster.h"

namespace auction::testing {

// The lease lifetime of every node: 1,500 ms, or AUCTION_CLUSTER_LEASE_MS (tools/crash-soak.sh
// measures the takeover with shorter leases).
inline std::string lease_ms() {
  const char* text = std::getenv("AUCTION_CLUSTER_LEASE_MS");
  return text != nullptr ? text : "1500";
}

class ShardNode {
 public:
  // Fixed ports for the node's life: a node that restarts itself (re-exec) listens there again.
  ShardNode(std::string data_dir, std::string node, std::string nats_urls)
      : data_dir_(std::move(data_dir)),
        node_(std::move(node)),
        nats_urls_(std::move(nats_urls)),
        listen_("127.0.0.1:" + std::to_string(free_port())),
        admin_listen_("127.0.0.1:" + std::to_string(free_port())) {}

  void start() {
    process_ = std::make_unique<Subprocess>(std::vector<std::string>{
        AUCTIOND, "--data-dir", data_dir_, "--listen", listen_, "--admin-listen", admin_listen_,
        "--nats", nats_urls_, "--shard", "test", "--node", node_, "--lease-ms", lease_ms()});
    port = 0;
    while (const auto line = process_->read_line(std::chrono::seconds(20))) {
      if (line->starts_with("auctiond: listening")) {
        port = static_cast<unsigned short>(std::stoi(line->substr(line->find("127.0.0.1:") + 10)));
      } else if (line->starts_with("auctiond: admin interface")) {
        admin_port =
            static_cast<unsigned short>(std::stoi(line->substr(line->find("127.0.0.1:") + 10)));
      } else if (line->starts_with("auctiond: node")) {
        break;
      }
    }
    REQUIRE_MESSAGE(port != 0, node_ << " did not start");
    std::ifstream token(data_dir_ + "/admin.token");
    std::getline(token, admin_token);
  }
  void kill(int signal) {
    if (process_) process_->kill(signal);
  }
  int stop() {
    if (!process_) return 0;
    process_->kill(SIGTERM);
    const int status = process_->wait();
    process_.reset();
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  void kill_hard() {
    if (!process_) return;
    process_->kill(SIGKILL);
    process_->wait();
    process_.reset();
  }
  bool running() const { return process_ != nullptr; }

  // SIGSTOP / SIGCONT: a frozen node (its HTTP is not asked while frozen: it would not answer).
  void pause() {
    REQUIRE_MESSAGE(process_->stop(), node_ << " ended instead of stopping");
    paused_ = true;
  }
  void resume() {
    process_->kill(SIGCONT);
    paused_ = false;
  }

  // The node's /metrics, or nothing (not running, frozen, or restarting itself).
  std::optional<std::string> metrics() const {
    if (!process_ || paused_) return std::nullopt;
    try {
      const auto [status, body] = http_get(port, "/metrics");
      if (status == 200) return body;
    } catch (const std::exception&) {
    }
    return std::nullopt;
  }
  // From the node's /metrics: whether it leads now.
  bool leads() const {
    const auto body = metrics();
    return body && body->find("auction_cluster_leader 1") != std::string::npos;
  }
  HttpReply admin(const std::string& method, const std::string& target,
                  const std::string& body = "") const {
    return http_request(
        admin_port, method, target, body,
        {{"Authorization", "Bearer " + admin_token}, {"Content-Type", "application/json"}});
  }

  // The last seq in the node's journal (its /metrics' auction_journal_durable_seq).
  long long journal_seq() const {
    const auto body = metrics();
    const std::string name = "\nauction_journal_durable_seq ";
    const auto at = body ? body->find(name) : std::string::npos;
    return at != std::string::npos ? std::stoll(body->substr(at + name.size())) : -1;
  }

  const std::string& data_dir() const { return data_dir_; }
  const std::string& name() const { return node_; }
  unsigned short port = 0;
  unsigned short admin_port = 0;
  std::string admin_token;

 private:
  std::string data_dir_, node_, nats_urls_, listen_, admin_listen_;
  std::unique_ptr<Subprocess> process_;
  bool paused_ = false;
};

class Shard {
 public:
  static constexpr int kNodes = 3;
  // Node 0 starts first and leads; `node0_data_dir` puts its data elsewhere (a small disk).
  explicit Shard(const std::string& node0_data_dir = {}) {
    const auto urls = nats.urls();
    const std::string list = urls[0] + "," + urls[1] + "," + urls[2];
    for (int i = 0; i < kNodes; ++i) {
      const std::string data =
          i == 0 && !node0_data_dir.empty() ? node0_data_dir : dir.sub("node-" + std::to_string(i));
      nodes[i] = std::make_unique<ShardNode>(data, "node-" + std::to_string(i), list);
    }
    nodes[0]->start();
    REQUIRE_MESSAGE(leader() == 0, "node-0 did not take the lease");
    for (int i = 1; i < kNodes; ++i)
      nodes[i]->start();
    REQUIRE_MESSAGE(all_ready(), "the shard's nodes did not all join");
  }
  ~Shard() {
    for (auto& node : nodes)
      node->kill_hard();
  }
  // Every node joined the shard (its /healthz is 200).
  bool all_ready(std::chrono::milliseconds timeout = std::chrono::seconds(30)) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
      int ready = 0;
      for (const auto& node : nodes) {
        try {
          if (node->running() && http_get(node->port, "/healthz").status == 200) ++ready;
        } catch (const std::exception&) {
        }
      }
      if (ready == kNodes) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
  }
  // The node that leads, waiting up to `timeout` for one (-1: none).
  int leader(std::chrono::milliseconds timeout = std::chrono::seconds(20)) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
      for (int i = 0; i < kNodes; ++i) {
        if (nodes[i]->leads()) return i;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    return -1;
  }

  // Waits until the shard is still: one leader, the same one half a second later, and every
  // node's journal ending at the same seq. Then stops the followers and last the leader
  // (stopping a leader first would hand the lease over, and its Restart would be journaled by a
  // node the others no longer follow). True when the shard was still and all stopped cleanly.
  bool settle_and_stop() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
    int lead = -1;
    bool still = false;
    while (!still && std::chrono::steady_clock::now() < deadline) {
      lead = leader(std::chrono::seconds(1));
      const long long seq = nodes[0]->journal_seq();
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      still = lead >= 0 && seq > 0 && nodes[lead]->leads() && nodes[0]->journal_seq() == seq &&
              nodes[1]->journal_seq() == seq && nodes[2]->journal_seq() == seq;
    }
    MESSAGE(std::string(still ? "the shard was still" : "the shard did not settle")
            << " before stopping, node-" << lead << " leading");
    bool clean = still;
    for (int i = 0; i < kNodes; ++i) {
      if (i != lead) clean = nodes[i]->stop() == 0 && clean;
    }
    if (lead >= 0) clean = nodes[lead]->stop() == 0 && clean;
    return clean;
  }

  NatsCluster nats;
  TempDir dir;
  std::array<std::unique_ptr<ShardNode>, kNodes> nodes;
};

// A field of a JSON answer, read by the fixtures' Message.
inline std::string json_str(const std::string& text, const char* key) {
  return Message(text).str(key);
}

using namespace std::chrono_literals;

inline std::string create_user(const ShardNode& node, const std::string& user) {
  const auto reply = node.admin("POST", "/v1/users", R"({"user":")" + user + R"("})");
  REQUIRE_MESSAGE(reply.status == 201, reply.body);
  return json_str(reply.body, "token");
}

// The lots' seller (SPEC §8: an account with the seller role), made on `node` once.
inline void ensure_seller(const ShardNode& node) {
  const auto reply = node.admin("POST", "/v1/users", R"({"user":"gallery","role":"seller"})");
  REQUIRE_MESSAGE((reply.status == 201 || reply.status == 409), reply.body);
}

inline void create_open_lot(const ShardNode& node, const std::string& id) {
  ensure_seller(node);
  const auto reply = node.admin(
      "POST", "/v1/lots",
      R"({"lots":[{"id":")" + id +
          R"(","title":"Hot lot","seller":"gallery","currency":"EUR","start_price":1000,)"
          R"("increment":10,"starts_in_ms":0,"timed_ms":0,"extension_ms":3600000}]})");
  REQUIRE_MESSAGE(reply.status == 201, reply.body);
}

// A bidder with a connection to one node; reconnects to another when told.
struct Bidder {
  std::string user, token;
  std::unique_ptr<WsClient> ws;
  unsigned short port = 0;  // of the node it speaks to
  // Logs in on `node`; a user made on another node a moment ago may need a moment to arrive.
  bool connect(const ShardNode& node) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    do {
      ws = std::make_unique<WsClient>("127.0.0.1", node.port);
      port = node.port;
      ws->send(R"({"type":"login","user":")" + user + R"(","token":")" + token + R"("})");
      const auto answer = ws->receive(5s);
      if (answer && answer->find("login_ok") != std::string::npos) return true;
      std::this_thread::sleep_for(50ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
  }
  // The answer to one bid (none when the connection died).
  std::optional<std::string> bid(const std::string& lot, std::int64_t amount) {
    ws->send(R"({"type":"bid","lot":")" + lot + R"(","amount":)" + std::to_string(amount) + "}");
    while (auto message = ws->receive(8s)) {
      if (message->find(R"("type":"accepted")") != std::string::npos ||
          message->find(R"("type":"rejected")") != std::string::npos) {
        return message;
      }
    }
    return std::nullopt;
  }
};

struct Accepted {
  Seq seq;
  std::int64_t amount;
  std::string bidder;
};

// Every record of a data directory's journal, by seq.
inline std::map<Seq, std::string> journal_records(const std::string& data_dir) {
  std::unique_ptr<persistence::Journal> journal;
  persistence::JournalOptions options{data_dir + "/journal"};
  options.read_only = true;
  REQUIRE(persistence::Journal::open(options, journal).is_ok());
  std::map<Seq, std::string> records;
  REQUIRE(journal
              ->scan(1,
                     [&](Seq seq, std::string_view record) {
                       records.emplace(seq, record);
                       return true;
                     })
              .is_ok());
  return records;
}

inline std::uint64_t state_digest(const std::string& data_dir) {
  std::unique_ptr<persistence::Journal> journal;
  persistence::JournalOptions options{data_dir + "/journal"};
  options.read_only = true;
  REQUIRE(persistence::Journal::open(options, journal).is_ok());
  Engine engine;
  persistence::RecoveryReport report;
  REQUIRE(persistence::recover(engine, *journal, nullptr, report).is_ok());
  return engine.state_digest();
}

// After the nodes stopped: every node holds the same journal and state, and every accepted bid
// is journaled at its seq with its amount and bidder.
inline void check_shard_agrees(const Shard& shard, const std::vector<Accepted>& accepted) {
  const auto records = journal_records(shard.nodes[0]->data_dir());
  for (int i = 1; i < Shard::kNodes; ++i) {
    const auto theirs = journal_records(shard.nodes[i]->data_dir());
    CHECK_MESSAGE(theirs == records,
                  "node " << i << ": " << theirs.size() << " records, node 0 " << records.size());
  }
  for (const Accepted& bid : accepted) {
    const auto found = records.find(bid.seq);
    REQUIRE_MESSAGE(found != records.end(), "accepted seq " << bid.seq << " is not journaled");
    Command command;
    REQUIRE(persistence::decode_record(found->second, command).is_ok());
    const auto* placed = std::get_if<PlaceBid>(&command.body);
    REQUIRE(placed != nullptr);
    CHECK(placed->amount_minor == bid.amount);
    CHECK(placed->bidder.view() == bid.bidder);
  }
  const std::uint64_t digest = state_digest(shard.nodes[0]->data_dir());
  for (int i = 1; i < Shard::kNodes; ++i)
    CHECK(state_digest(shard.nodes[i]->data_dir()) == digest);
}

}  // namespace auction::testing
