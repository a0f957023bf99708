#include "poller.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace auction::loadgen {

namespace {
constexpr int kEventsPerWait = 256;
}

Poller::Poller() : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (epoll_fd_ < 0) {
    std::perror("auction-loadgen: epoll_create1");
    std::exit(1);
  }
}

Poller::~Poller() {
  ::close(epoll_fd_);
}

bool Poller::add(int fd, Handler* handler) {
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.ptr = handler;
  return ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) == 0;
}

void Poller::run_until(Clock::time_point deadline) {
  epoll_event events[kEventsPerWait];
  do {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    const int timeout_ms = left.count() > 0 ? static_cast<int>(left.count()) : 0;
    const int ready = ::epoll_wait(epoll_fd_, events, kEventsPerWait, timeout_ms);
    if (ready < 0 && errno != EINTR) {
      std::perror("auction-loadgen: epoll_wait");
      std::exit(1);
    }
    for (int i = 0; i < ready; ++i)
      static_cast<Handler*>(events[i].data.ptr)->on_events(events[i].events);
  } while (Clock::now() < deadline);
}

}  // namespace auction::loadgen
