// Connection: one WebSocket connection of auction-loadgen, framed by hand.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "load.h"

namespace auction::loadgen {

namespace {

// Where the value of "key": starts in `json`, or npos. No pattern string is built: this runs
// several times per answer, on the cores the server is measured on.
std::size_t value_at(std::string_view json, std::string_view key) {
  for (auto at = json.find(key); at != std::string_view::npos; at = json.find(key, at + 1)) {
    const std::size_t end = at + key.size();
    if (at > 0 && json[at - 1] == '"' && end + 1 < json.size() && json[end] == '"' &&
        json[end + 1] == ':') {
      return end + 2;
    }
  }
  return std::string_view::npos;
}

// Appends the decimal digits of `value`.
void append_number(std::string& out, std::uint64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  out.append(digits, end);
}

}  // namespace

std::string_view text_field(std::string_view json, std::string_view key) {
  const auto at = value_at(json, key);
  if (at == std::string_view::npos || json[at] != '"') return {};
  return json.substr(at + 1, json.find('"', at + 1) - at - 1);
}

std::int64_t number_field(std::string_view json, std::string_view key) {
  const auto at = value_at(json, key);
  if (at == std::string_view::npos) return -1;
  std::int64_t value = -1;
  std::from_chars(json.data() + at, json.data() + json.size(), value);
  return value;
}

void append_frame(std::string& out, std::string_view payload) {
  out.push_back(static_cast<char>(0x81));  // FIN, text
  if (payload.size() < 126) {
    out.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(payload.size() >> 8));
    out.push_back(static_cast<char>(payload.size() & 0xFF));
  }
  out.append(4, '\0');  // masking key 0: the payload goes as is
  out.append(payload);
}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

void Connection::start(const sockaddr_in& address) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (fd_ < 0 || ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
      !poller_.add(fd_, this)) {
    return fail("socket");
  }
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 &&
      errno != EINPROGRESS) {
    return fail("connect");
  }
}

void Connection::fail(const char* what) {
  std::fprintf(stderr, "auction-loadgen: %s: %s\n", what, std::strerror(errno));
  close();
}

void Connection::close() {
  if (fd_ >= 0) ::close(fd_);  // also leaves the poller's set
  fd_ = -1;
}

void Connection::on_events(std::uint32_t events) {
  if (!connected_) {
    int error = 0;
    socklen_t size = sizeof(error);
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size);
    if (error != 0) {
      errno = error;
      return fail("connect");
    }
    if ((events & EPOLLOUT) == 0) return;
    connected_ = true;
    pending_ =
        "GET /ws HTTP/1.1\r\nHost: loadgen\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    flush();  // the login follows the server's 101 (RFC 6455: no frames before the handshake)
  }
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) != 0) read_all();
  if ((events & EPOLLOUT) != 0) flush();
}

void Connection::queue_fixed_bid(const std::string& lot, std::int64_t amount) {
  text_ = "{\"type\":\"bid\",\"lot\":\"";
  text_ += lot;
  text_ += "\",\"amount\":";
  append_number(text_, static_cast<std::uint64_t>(amount));
  text_ += '}';
  append_frame(pending_, text_);
}

void Connection::queue_bid(Clock::time_point intended) {
  const std::uint64_t id = next_id_++;
  sent_at_.emplace_back(intended);
  ++outstanding_;
  if (load_.options().ping) {
    text_ = "{\"type\":\"ping\",\"id\":\"";
    append_number(text_, id);
    text_ += "\"}";
  } else {
    const auto [lot, amount] = load_.pick_bid();
    text_ = "{\"type\":\"bid\",\"id\":\"";
    append_number(text_, id);
    text_ += "\",\"lot\":\"open-";
    append_number(text_, lot);
    text_ += "\",\"amount\":";
    append_number(text_, static_cast<std::uint64_t>(amount));
    text_ += '}';
  }
  append_frame(pending_, text_);
  load_.sent();
}

std::optional<Clock::time_point> Connection::take_outstanding(std::uint64_t id) {
  if (id < first_id_ || id - first_id_ >= sent_at_.size()) return std::nullopt;
  auto& slot = sent_at_[id - first_id_];
  if (!slot) return std::nullopt;
  const Clock::time_point intended = *slot;
  slot.reset();
  --outstanding_;
  while (!sent_at_.empty() && !sent_at_.front()) {
    sent_at_.pop_front();
    ++first_id_;
  }
  return intended;
}

// Sends what is pending; what the socket cannot take now goes at its next EPOLLOUT edge.
void Connection::flush() {
  while (fd_ >= 0 && pending_sent_ < pending_.size()) {
    const ssize_t n =
        ::send(fd_, pending_.data() + pending_sent_, pending_.size() - pending_sent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) fail("send");
      return;
    }
    pending_sent_ += static_cast<std::size_t>(n);
  }
  pending_.clear();
  pending_sent_ = 0;
}

// Reads until the socket is empty. Edge-triggered: a read that comes back short emptied it, and
// the next bytes bring a new edge.
void Connection::read_all() {
  while (fd_ >= 0) {
    const std::size_t room = in_.size() - in_size_;
    const ssize_t n = ::recv(fd_, in_.data() + in_size_, room, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) return close();  // closed by the server, or failed
    if (!on_read(static_cast<std::size_t>(n))) return close();
    if (static_cast<std::size_t>(n) < room) return;
  }
}

// Takes `n` new bytes: the handshake's answer, then every complete frame. False when the
// connection is over.
bool Connection::on_read(std::size_t n) {
  in_size_ += n;
  std::size_t at = 0;
  if (!upgraded_) {
    const std::string_view head(in_.data(), in_size_);
    const auto end = head.find("\r\n\r\n");
    if (end == std::string_view::npos) return true;
    if (head.substr(0, 12) != "HTTP/1.1 101") {
      std::fprintf(stderr, "auction-loadgen: upgrade refused\n");
      return false;
    }
    upgraded_ = true;
    at = end + 4;
    if (subscribe_lot_.empty()) {
      append_frame(pending_,
                   "{\"type\":\"login\",\"user\":\"" + user_ + "\",\"token\":\"" + token_ + "\"}");
    } else {
      append_frame(pending_, "{\"type\":\"subscribe\",\"lot\":\"" + subscribe_lot_ + "\"}");
    }
    flush();
  }
  // Every complete frame in the buffer, before reading again.
  while (in_size_ - at >= 2) {
    const auto* p = reinterpret_cast<const unsigned char*>(in_.data() + at);
    std::size_t length = p[1] & 0x7F, header = 2;
    if (length == 126) {
      if (in_size_ - at < 4) break;
      length = (std::size_t{p[2]} << 8) | p[3];
      header = 4;
    } else if (length == 127) {
      if (in_size_ - at < 10) break;
      length = 0;
      for (int i = 0; i < 8; ++i)
        length = (length << 8) | p[2 + i];
      header = 10;
    }
    if (in_size_ - at < header + length) break;
    const unsigned opcode = p[0] & 0x0F;
    if (opcode == 0x1) on_frame(std::string_view(in_.data() + at + header, length));
    if (opcode == 0x8) return false;  // closed by the server
    at += header + length;
  }
  flush();  // the bids that this read's answers let go, in one write
  std::memmove(in_.data(), in_.data() + at, in_size_ - at);
  in_size_ -= at;
  if (in_size_ == in_.size()) in_.resize(in_.size() * 2);
  return true;
}

void Connection::on_frame(std::string_view payload) {
  const std::string_view type = text_field(payload, "type");
  if (type == "snapshot" && payload.find("\"resync\":true") != std::string_view::npos) {
    load_.resynced();
  } else if (type == "login_ok" || type == "snapshot") {
    ready_ = true;  // bidding starts with the measurement (Load::run)
    load_.on_ready();
  } else if (type == "bid" && !subscribe_lot_.empty()) {
    load_.delivered(number_field(payload, "amount"));
  } else if ((type == "accepted" || type == "rejected") && !load_.options().fanout_lot.empty()) {
    load_.fanout_answer(index_, type == "accepted");
  } else if (type == "accepted" || type == "rejected" || type == "pong") {
    on_answer(type, payload);
  } else if (type == "error") {
    std::fprintf(stderr, "auction-loadgen: %s: %.*s\n", user_.c_str(),
                 static_cast<int>(payload.size()), payload.data());
  }
}

void Connection::on_answer(std::string_view type, std::string_view payload) {
  const std::string_view id_text = text_field(payload, "id");
  std::uint64_t id = 0;
  std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  const auto intended = take_outstanding(id);
  if (!intended) return load_.duplicate();
  const std::string_view lot_text = text_field(payload, "lot");
  unsigned lot = 0;
  if (lot_text.size() > 5)
    std::from_chars(lot_text.data() + 5, lot_text.data() + lot_text.size(), lot);
  const std::string_view code =
      type == "rejected" ? text_field(payload, "code") : std::string_view{};
  const std::int64_t next = number_field(payload, "min_next");
  if (next > 0) load_.learned(lot, next);
  load_.answered(*intended, type, code);
  load_.next_closed_loop(*this);
}

}  // namespace auction::loadgen
