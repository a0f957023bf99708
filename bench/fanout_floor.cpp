// fanout_floor: what a hot lot's fan-out costs this machine's kernel alone, without auctiond.
//
//   fanout_floor [subscribers=5000] [events_per_second=100] [wait_ms=20] [seconds=8]
//                [payload_bytes=200] [sender_threads=1]
//
// Two threads over loopback TCP, doing only what auctiond's IO thread and auction-loadgen's
// subscribers must do. The sender publishes events at the given rate and delivers them in turns:
// in each turn every connection gets all events pending since its last turn in one send (frames
// of `payload_bytes` with a 4-byte WebSocket header); after a turn of 1,000 deliveries or more the
// next turn waits `wait_ms` (auctiond's --fanout-interval-ms rule). The receiver reads its sockets
// through one edge-triggered epoll set, one recv per arrival, and takes each frame's latency from
// the event's publication (a timestamp in the payload). With several sender threads (auctiond's
// --io-threads), each serves its share of the connections on the same schedule. No JSON, no
// allocation per frame, no queues, no locks: the figures are a floor for any server and client on
// this machine (bench/RESULTS.md, "The fan-out's floor on this machine").
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kHeaderBytes = 4;  // 0x81, 126, two length bytes
constexpr std::size_t kBigTurnDeliveries = 1'000;

struct Options {
  int subscribers = 5'000;
  double events_per_second = 100;
  int wait_ms = 20;
  double seconds = 8;
  std::size_t payload_bytes = 200;
  int sender_threads = 1;
};

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

double thread_cpu_s() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Connected pairs over loopback: senders[i] ↔ receivers[i], both non-blocking.
void connect_pairs(int n, std::vector<int>& senders, std::vector<int>& receivers) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::listen(listener, 128) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    die("listen");
  }
  const int one = 1;
  for (int i = 0; i < n; ++i) {
    const int client = ::socket(AF_INET, SOCK_STREAM, 0);
    if (client < 0 || ::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address))) {
      die("connect");
    }
    const int server = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
    if (server < 0) die("accept");
    ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ::fcntl(client, F_SETFL, O_NONBLOCK);
    senders.push_back(server);
    receivers.push_back(client);
  }
  ::close(listener);
}

struct SenderResult {
  std::uint64_t events = 0, sends = 0, short_sends = 0;
  double cpu_s = 0;
};

// auctiond's IO thread, reduced to its system calls.
SenderResult send_turns(const Options& o, const std::vector<int>& fds, std::int64_t start_ns,
                        std::int64_t end_ns) {
  SenderResult r;
  std::vector<char> turn;
  std::vector<std::int64_t> pending;  // publication times of the events not yet delivered
  std::int64_t next_turn_ns = start_ns;
  const double interval_ns = 1e9 / o.events_per_second;
  for (;;) {
    const std::int64_t now = now_ns();
    if (now < start_ns) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    const auto due =
        static_cast<std::uint64_t>(static_cast<double>(now - start_ns) / interval_ns) + 1;
    while (r.events < due && now < end_ns) {
      pending.push_back(start_ns +
                        static_cast<std::int64_t>(static_cast<double>(r.events) * interval_ns));
      ++r.events;
    }
    if (now >= end_ns && pending.empty()) break;
    if (pending.empty() || now < next_turn_ns) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    turn.clear();
    for (const std::int64_t published : pending) {
      const std::size_t at = turn.size();
      turn.resize(at + kHeaderBytes + o.payload_bytes, 'x');
      turn[at] = static_cast<char>(0x81);
      turn[at + 1] = 126;
      turn[at + 2] = static_cast<char>(o.payload_bytes >> 8);
      turn[at + 3] = static_cast<char>(o.payload_bytes & 0xFF);
      std::memcpy(turn.data() + at + kHeaderBytes, &published, sizeof(published));
    }
    for (const int fd : fds) {
      const ssize_t n = ::send(fd, turn.data(), turn.size(), MSG_NOSIGNAL);
      ++r.sends;
      if (n != static_cast<ssize_t>(turn.size())) ++r.short_sends;  // a full socket: reported
    }
    const std::size_t deliveries = pending.size() * fds.size();
    pending.clear();
    next_turn_ns = deliveries >= kBigTurnDeliveries ? now_ns() + o.wait_ms * 1'000'000LL : 0;
  }
  r.cpu_s = thread_cpu_s();
  return r;
}

// auction-loadgen's subscribers, reduced to theirs. Everything is set up before the clock starts.
class Receiver {
 public:
  Receiver(const Options& o, const std::vector<int>& fds, std::uint64_t expected)
      : fds_(fds),
        frame_bytes_(kHeaderBytes + o.payload_bytes),
        epoll_fd_(::epoll_create1(0)),
        buffers_(fds.size(), std::vector<char>(64 * 1024)),
        held_(fds.size(), 0),
        expected_(expected) {
    latency_us.reserve(expected);
    for (std::size_t i = 0; i < fds.size(); ++i) {
      epoll_event event{};
      event.events = EPOLLIN | EPOLLET;
      event.data.u64 = i;
      if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fds[i], &event) != 0) die("epoll_ctl");
    }
  }
  ~Receiver() { ::close(epoll_fd_); }

  void run(std::int64_t give_up_ns) {
    epoll_event events[256];
    while (latency_us.size() < expected_ && now_ns() < give_up_ns) {
      const int ready = ::epoll_wait(epoll_fd_, events, 256, 10);
      for (int e = 0; e < ready; ++e)
        read_all(events[e].data.u64);
    }
    cpu_s = thread_cpu_s();
  }

  std::vector<std::uint32_t> latency_us;
  std::uint64_t recvs = 0;
  double cpu_s = 0;

 private:
  // Until the socket is empty: a short read emptied it, and the next bytes bring an edge.
  void read_all(std::size_t i) {
    std::vector<char>& buffer = buffers_[i];
    for (;;) {
      const std::size_t room = buffer.size() - held_[i];
      const ssize_t n = ::recv(fds_[i], buffer.data() + held_[i], room, 0);
      if (n <= 0) return;
      ++recvs;
      held_[i] += static_cast<std::size_t>(n);
      const std::int64_t now = now_ns();
      std::size_t at = 0;
      for (; held_[i] - at >= frame_bytes_; at += frame_bytes_) {
        std::int64_t published = 0;
        std::memcpy(&published, buffer.data() + at + kHeaderBytes, sizeof(published));
        latency_us.push_back(static_cast<std::uint32_t>((now - published) / 1'000));
      }
      std::memmove(buffer.data(), buffer.data() + at, held_[i] - at);
      held_[i] -= at;
      if (static_cast<std::size_t>(n) < room) return;
    }
  }

  const std::vector<int>& fds_;
  const std::size_t frame_bytes_;
  const int epoll_fd_;
  std::vector<std::vector<char>> buffers_;
  std::vector<std::size_t> held_;
  const std::uint64_t expected_;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (argc > 1) o.subscribers = std::atoi(argv[1]);
  if (argc > 2) o.events_per_second = std::atof(argv[2]);
  if (argc > 3) o.wait_ms = std::atoi(argv[3]);
  if (argc > 4) o.seconds = std::atof(argv[4]);
  if (argc > 5) o.payload_bytes = static_cast<std::size_t>(std::atoi(argv[5]));
  if (argc > 6) o.sender_threads = std::atoi(argv[6]);
  if (o.subscribers < 1 || o.subscribers > 50'000 || o.events_per_second <= 0 || o.wait_ms < 0 ||
      o.seconds <= 0 || o.payload_bytes < 126 || o.payload_bytes > 4'000 || o.sender_threads < 1 ||
      o.sender_threads > 8) {
    std::fprintf(stderr,
                 "usage: fanout_floor [subscribers 1..50000] [events/s > 0] [wait_ms >= 0] "
                 "[seconds > 0] [payload_bytes 126..4000] [sender_threads 1..8]\n");
    return 2;
  }
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  setrlimit(RLIMIT_NOFILE, &files);
  std::vector<int> senders, receivers;
  connect_pairs(o.subscribers, senders, receivers);

  const auto events = static_cast<std::uint64_t>(o.seconds * o.events_per_second);
  Receiver received(o, receivers, events * static_cast<std::uint64_t>(o.subscribers));
  const std::int64_t start = now_ns() + 100'000'000;
  const std::int64_t end = start + static_cast<std::int64_t>(o.seconds * 1e9);
  std::thread receiver([&] { received.run(end + 10'000'000'000); });
  std::vector<std::vector<int>> shares(static_cast<std::size_t>(o.sender_threads));
  for (std::size_t i = 0; i < senders.size(); ++i)
    shares[i % shares.size()].push_back(senders[i]);
  std::vector<SenderResult> results(shares.size());
  std::vector<std::thread> threads;
  for (std::size_t t = 1; t < shares.size(); ++t)
    threads.emplace_back([&, t] { results[t] = send_turns(o, shares[t], start, end); });
  results[0] = send_turns(o, shares[0], start, end);
  for (auto& thread : threads)
    thread.join();
  receiver.join();
  SenderResult sent;
  sent.events = results[0].events;
  for (const SenderResult& r : results) {
    sent.sends += r.sends;
    sent.short_sends += r.short_sends;
    sent.cpu_s += r.cpu_s;
  }

  auto& l = received.latency_us;
  std::sort(l.begin(), l.end());
  const auto pct = [&](double p) {
    return l.empty() ? 0.0
                     : l[std::min(l.size() - 1,
                                  static_cast<std::size_t>(p * static_cast<double>(l.size())))] /
                           1000.0;
  };
  std::printf(
      "fanout_floor: %d subscribers, %.0f events/s, wait %d ms, %zu-byte payloads, %d sender(s)\n",
      o.subscribers, o.events_per_second, o.wait_ms, o.payload_bytes, o.sender_threads);
  std::printf("deliveries %zu of %llu; sends %llu (%.2f frames each, %llu short); recvs %llu\n",
              l.size(), static_cast<unsigned long long>(sent.events * senders.size()),
              static_cast<unsigned long long>(sent.sends),
              sent.sends ? static_cast<double>(l.size()) / static_cast<double>(sent.sends) : 0.0,
              static_cast<unsigned long long>(sent.short_sends),
              static_cast<unsigned long long>(received.recvs));
  std::printf("latency ms: p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n", pct(0.5), pct(0.9), pct(0.99),
              l.empty() ? 0.0 : l.back() / 1000.0);
  std::printf("CPU s: senders %.2f, receiver %.2f (of %.1f s)\n", sent.cpu_s, received.cpu_s,
              o.seconds);
  for (const int fd : senders)
    ::close(fd);
  for (const int fd : receivers)
    ::close(fd);
  return l.size() == sent.events * senders.size() ? 0 : 2;
}
