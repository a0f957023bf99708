// A raw TCP connection to auctiond for tests whose clients misbehave (no WebSocket library):
// partial handshakes, unread data, hand-made frames.
#pragma once

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace auction::testing {

// A raw TCP connection to the server (no WebSocket library: these clients misbehave).
class RawSocket {
 public:
  RawSocket(unsigned short port, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  }
  ~RawSocket() { ::close(fd_); }
  void send(const std::string& bytes) {
    (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  // True when the server closed the connection within `limit` (reading and discarding data).
  bool closed_within(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    char buffer[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) return true;
    }
    return false;
  }
  void upgrade() {
    send(
        "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    std::string head;
    char c;
    while (head.find("\r\n\r\n") == std::string::npos && ::recv(fd_, &c, 1, 0) == 1)
      head += c;
    REQUIRE(head.rfind("HTTP/1.1 101", 0) == 0);
  }
  // A masked text frame (key 0).
  void frame(const std::string& payload) { send(masked_frame(0x1, payload)); }

  struct Frame {
    int opcode = 0;
    std::string payload;
    bool fin = true;  // the last frame of its message (else continuation frames follow)
  };
  // The next whole frame the server sends within `limit` (server frames are unmasked); nullopt
  // when none came in time or the connection ended (then ended() is true).
  std::optional<Frame> next_frame(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      if (auto frame = take_frame()) return frame;
      if (ended_ || std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        ended_ = true;
      } else {
        in_.append(buffer, static_cast<std::size_t>(n));
      }
    }
  }
  bool ended() const { return ended_; }
  // The next whole message (its frames joined: the server fragments long ones), as next_frame.
  std::optional<Frame> next_message(std::chrono::milliseconds limit) {
    auto message = next_frame(limit);
    while (message && !message->fin) {
      const auto more = next_frame(limit);
      if (!more) return std::nullopt;
      message->payload += more->payload;
      message->fin = more->fin;
    }
    return message;
  }
  // The close code of the first close frame the server sends within `limit`: 0 when none came
  // in time, -1 when the connection ended without one. Other frames are skipped.
  int close_code_within(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (const auto frame = next_frame(std::chrono::duration_cast<std::chrono::milliseconds>(
               deadline - std::chrono::steady_clock::now()))) {
      if (frame->opcode != 0x8) continue;
      const auto byte = [&](std::size_t i) {
        return static_cast<unsigned char>(frame->payload[i]);
      };
      return frame->payload.size() >= 2 ? (byte(0) << 8) | byte(1) : 1005;
    }
    return ended_ ? -1 : 0;
  }
  // A masked frame with any opcode and payload, its length field saying `declared` bytes
  // (the payload's size unless given): a client that lies about the length, or sends a huge
  // frame, is what the server must survive.
  void raw_frame(unsigned char opcode, const std::string& payload, std::uint64_t declared = ~0ULL) {
    send(masked_frame(opcode, payload, declared));
  }
  // The bytes of a final frame with this opcode, masked with key 0, its length field `declared`
  // (the payload's size unless given).
  static std::string masked_frame(unsigned char opcode, const std::string& payload,
                                  std::uint64_t declared = ~0ULL) {
    const std::uint64_t length = declared == ~0ULL ? payload.size() : declared;
    std::string out;
    out.push_back(static_cast<char>(0x80 | opcode));
    if (length < 126) {
      out.push_back(static_cast<char>(0x80 | length));
    } else if (length <= 0xFFFF) {
      out.push_back(static_cast<char>(0x80 | 126));
      out.push_back(static_cast<char>(length >> 8));
      out.push_back(static_cast<char>(length & 0xFF));
    } else {
      out.push_back(static_cast<char>(0x80 | 127));
      for (int shift = 56; shift >= 0; shift -= 8)
        out.push_back(static_cast<char>((length >> shift) & 0xFF));
    }
    out.append(4, '\0');  // mask key 0: the payload goes as is
    return out + payload;
  }
  int fd() const { return fd_; }

 private:
  std::optional<Frame> take_frame() {
    if (in_.size() < 2) return std::nullopt;
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(in_[i]); };
    std::size_t header = 2, length = byte(1) & 0x7F;
    if (length == 126) {
      if (in_.size() < 4) return std::nullopt;
      header = 4, length = (std::size_t{byte(2)} << 8) | byte(3);
    } else if (length == 127) {
      if (in_.size() < 10) return std::nullopt;
      header = 10, length = 0;
      for (std::size_t i = 2; i < 10; ++i)
        length = (length << 8) | byte(i);
    }
    if (in_.size() < header + length) return std::nullopt;
    Frame frame{byte(0) & 0x0F, in_.substr(header, length), (byte(0) & 0x80) != 0};
    in_.erase(0, header + length);
    return frame;
  }

  int fd_ = -1;
  std::string in_;  // received, not yet taken as frames
  bool ended_ = false;
};

}  // namespace auction::testing
