// Three real nats-server processes with JetStream, clustered on loopback in a temporary folder,
// for the replication tests (SPEC §11). Stopped (and the folder removed) by the destructor.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "../support/subprocess.h"

namespace auction::testing {

// A port nothing listens on right now, below the kernel's ephemeral range. A node keeps its
// ports across restarts, so they are chosen before it binds them; a port from the ephemeral
// range (what binding to 0 returns) can meanwhile become another process's outgoing connection,
// as it did once beside the parallel tests ("bind: Address already in use").
inline int free_port() {
  static std::mt19937 random(std::random_device{}());
  static std::set<int> given;  // chosen here before: not yet bound, but taken
  int ephemeral_low = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_low;
  const int low = 10000;
  const int high = std::max(low + 1000, ephemeral_low);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int port = std::uniform_int_distribution<int>(low, high - 1)(random);
    if (given.contains(port)) continue;
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    ::close(fd);
    if (bound) {
      given.insert(port);
      return port;
    }
  }
  throw std::runtime_error("no free port below " + std::to_string(high));
}

class NatsCluster {
 public:
  static constexpr int kNodes = 3;

  NatsCluster() {
    char pattern[] = "/tmp/auction-nats-XXXXXX";
    folder_ = ::mkdtemp(pattern);
    for (int i = 0; i < kNodes; ++i) {
      client_ports_[i] = free_port();
      route_ports_[i] = free_port();
    }
    for (int i = 0; i < kNodes; ++i)
      start(i);
  }
  ~NatsCluster() {
    for (auto& server : servers_) {
      if (server) server->kill(SIGKILL);
    }
    servers_ = {};
    std::filesystem::remove_all(folder_);
  }

  void start(int i) {
    std::string routes;
    for (int k = 0; k < kNodes; ++k)
      routes += (k ? "," : "") + std::string("nats://127.0.0.1:") + std::to_string(route_ports_[k]);
    const std::string name = "n" + std::to_string(i);
    servers_[i] = std::make_unique<Subprocess>(std::vector<std::string>{
        AUCTION_NATS_SERVER, "-js", "-sd", folder_ + "/" + name, "-n", name, "-a", "127.0.0.1",
        "-p", std::to_string(client_ports_[i]), "--cluster_name", "auction-test", "--cluster",
        "nats://127.0.0.1:" + std::to_string(route_ports_[i]), "--routes", routes, "-l",
        folder_ + "/" + name + ".log"});
  }
  void kill(int i, int signal = SIGKILL) {
    servers_[i]->kill(signal);
    if (signal == SIGKILL || signal == SIGTERM) {
      servers_[i]->wait();
      servers_[i].reset();
    }
  }
  std::string url(int i) const { return "nats://127.0.0.1:" + std::to_string(client_ports_[i]); }
  std::vector<std::string> urls() const { return {url(0), url(1), url(2)}; }

 private:
  std::string folder_;
  std::array<int, kNodes> client_ports_{}, route_ports_{};
  std::array<std::unique_ptr<Subprocess>, kNodes> servers_;
};

}  // namespace auction::testing
