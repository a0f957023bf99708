// A replicated shard on loopback for end-to-end tests (SPEC §11): three nats-server (NatsCluster)
// and three auctiond nodes in temporary data directories, each node killable and restartable
// on its own data directory.
#pragma once

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <array>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "../gateway/auctiond_fixture.h"
#include "../persistence/temp_dir.h"
#include "../support/subprocess.h"
#include "../support/ws_client.h"
#include "nats_cluster.h"

namespace auction::testing {

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
    process_ = std::make_unique<Subprocess>(
        std::vector<std::string>{AUCTIOND, "--data-dir", data_dir_, "--listen", "127.0.0.1:0",
                                 "--admin-listen", "127.0.0.1:0", "--nats", nats_urls_, "--shard",
                                 "test", "--node", node_, "--lease-ms", "1500"});
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

  // From the node's /metrics: whether it leads now.
  bool leads() const {
    if (!process_) return false;
    const auto [status, body] = http_get(port, "/metrics");
    return status == 200 && body.find("auction_cluster_leader 1") != std::string::npos;
  }
  std::pair<int, std::string> admin(const std::string& method, const std::string& target,
                                    const std::string& body = "") const {
    return http_request(
        admin_port, method, target, body,
        {{"Authorization", "Bearer " + admin_token}, {"Content-Type", "application/json"}});
  }

  // The last seq in the node's journal (its /metrics' auction_journal_durable_seq).
  long long journal_seq() const {
    const auto [status, body] = http_get(port, "/metrics");
    const std::string name = "\nauction_journal_durable_seq ";
    const auto at = body.find(name);
    return status == 200 && at != std::string::npos ? std::stoll(body.substr(at + name.size()))
                                                    : -1;
  }

  const std::string& data_dir() const { return data_dir_; }
  const std::string& name() const { return node_; }
  unsigned short port = 0;
  unsigned short admin_port = 0;
  std::string admin_token;

 private:
  std::string data_dir_, node_, nats_urls_, listen_, admin_listen_;
  std::unique_ptr<Subprocess> process_;
};

class Shard {
 public:
  static constexpr int kNodes = 3;
  Shard() {
    const auto urls = nats.urls();
    const std::string list = urls[0] + "," + urls[1] + "," + urls[2];
    for (int i = 0; i < kNodes; ++i) {
      nodes[i] = std::make_unique<ShardNode>(dir.sub("node-" + std::to_string(i)),
                                             "node-" + std::to_string(i), list);
      nodes[i]->start();
    }
  }
  ~Shard() {
    for (auto& node : nodes)
      node->kill_hard();
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

  // Waits until every node's journal ends at the same seq, then stops the followers and last
  // the leader (stopping a leader first would hand the lease over, and its Restart would be
  // journaled by a node the others no longer follow). True when all stopped cleanly.
  bool settle_and_stop() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      const long long seq = nodes[0]->journal_seq();
      if (seq > 0 && nodes[1]->journal_seq() == seq && nodes[2]->journal_seq() == seq) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const int lead = leader(std::chrono::seconds(5));
    bool clean = true;
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

}  // namespace auction::testing
