// Three real nats-server processes with JetStream, clustered on loopback in a temporary folder,
// for the replication tests (SPEC §11). Stopped (and the folder removed) by the destructor.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "../support/subprocess.h"

namespace auction::testing {

// A port nothing listens on right now (bound to 0 and released: good enough on loopback).
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
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
