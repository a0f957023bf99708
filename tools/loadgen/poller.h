// Poller: auction-loadgen's event loop — one edge-triggered epoll set of raw, non-blocking
// sockets, and nothing else.
//
// Why not asio: it tries every read at once and waits for readiness only after finding the socket
// empty (Boost 1.81), so each read cost a second, failing recv; waiting first costs an epoll_ctl
// instead. Here a socket is registered once, and a read that comes back short ends until the
// next edge: one recv per arrival. The load generator shares the two cores with the server it
// measures, so its system calls are the server's loss (bench/RESULTS.md).
// Threading: one thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace auction::loadgen {

using Clock = std::chrono::steady_clock;

class Poller {
 public:
  class Handler {
   public:
    // The epoll events that came for the handler's socket (EPOLLIN, EPOLLOUT, EPOLLERR, …).
    virtual void on_events(std::uint32_t events) = 0;

   protected:
    ~Handler() = default;
  };

  Poller();
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Watches `fd` for reading and writing, edge-triggered, until it is closed. False on failure.
  bool add(int fd, Handler* handler);
  // Runs the handlers of whatever becomes ready until `deadline` (waits at least once).
  void run_until(Clock::time_point deadline);
  void run_for(std::chrono::milliseconds duration) { run_until(Clock::now() + duration); }

 private:
  int epoll_fd_;
};

}  // namespace auction::loadgen
