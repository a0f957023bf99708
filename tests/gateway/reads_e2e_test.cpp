// The bidder connection's reads (issue 19): after a read that emptied the socket, the session
// waits for readiness instead of trying again at once (write_gate.h). Whatever the timing of the
// bytes (a message in pieces, messages back to back, a pause after an answer), every message is
// read whole and answered, in order, and a connection that went quiet is woken by its next byte.
#include <doctest/doctest.h>

#include <memory>
#include <thread>
#include <vector>

#include "auctiond_fixture.h"
#include "raw_socket.h"

using namespace auction::testing;
using namespace std::chrono_literals;

namespace {

// A text ping with this id, padded by `pad_bytes`, as a client sends it.
std::string ping_frame(const std::string& id, std::size_t pad_bytes = 0) {
  std::string payload = R"({"type":"ping","id":")" + id + "\"";
  if (pad_bytes > 0) payload += R"(,"pad":")" + std::string(pad_bytes, 'x') + "\"";
  return RawSocket::masked_frame(0x1, payload + "}");
}

// A ping control frame: Beast answers it with a pong of its own, then reads on after that write,
// outside any read's completion.
std::string control_ping(const std::string& payload) {
  return RawSocket::masked_frame(0x9, payload);
}

// The id of the next pong, or "" when none came in time.
std::string next_pong(RawSocket& socket, std::chrono::milliseconds limit = 5s) {
  const auto frame = socket.next_message(limit);
  if (!frame) return "";
  const Message m(frame->payload);
  return m.str("type") == "pong" ? m.str("id") : "not a pong: " + frame->payload;
}

}  // namespace

TEST_CASE("a message sent in pieces, with pauses between them, is answered once it is whole") {
  Auctiond server;
  RawSocket socket(server.port);
  socket.upgrade();
  for (int round = 0; round < 5; ++round) {
    const std::string id = "p" + std::to_string(round);
    const std::string bytes = ping_frame(id);
    // The first byte alone, then the rest of the header and half the payload, then the rest.
    socket.send(bytes.substr(0, 1));
    std::this_thread::sleep_for(30ms);
    socket.send(bytes.substr(1, 10));
    CHECK_FALSE(socket.next_message(30ms));  // nothing answered before the message is whole
    socket.send(bytes.substr(11));
    CHECK(next_pong(socket) == id);
  }
}

TEST_CASE("messages back to back and after a pause: every one answered, in order") {
  Auctiond server;
  RawSocket socket(server.port);
  socket.upgrade();
  socket.send(ping_frame("first"));
  REQUIRE(next_pong(socket) == "first");
  // Fifty in fifty sends as fast as they go: some arrive together, some one by one.
  for (int i = 0; i < 50; ++i)
    socket.send(ping_frame("b" + std::to_string(i)));
  for (int i = 0; i < 50; ++i)
    REQUIRE(next_pong(socket) == "b" + std::to_string(i));
  // Fifty in one send, and messages bigger than one read of the socket (the stream reads 1.5 KiB
  // at a time): what a read leaves in the socket is read next, without waiting for more bytes.
  std::string together;
  for (int i = 0; i < 50; ++i)
    together += ping_frame("t" + std::to_string(i));
  socket.send(together);
  for (int i = 0; i < 50; ++i)
    REQUIRE(next_pong(socket) == "t" + std::to_string(i));
  for (int i = 0; i < 5; ++i) {
    socket.send(ping_frame("big" + std::to_string(i), 3'500));
    REQUIRE(next_pong(socket) == "big" + std::to_string(i));
  }
  // Quiet, then one more: the waiting read is woken by it.
  std::this_thread::sleep_for(200ms);
  socket.send(ping_frame("after"));
  CHECK(next_pong(socket, 2s) == "after");
}

TEST_CASE("twenty connections in lockstep: no connection is left waiting for bytes it has") {
  Auctiond server;
  std::vector<std::unique_ptr<RawSocket>> sockets;
  for (int i = 0; i < 20; ++i) {
    sockets.push_back(std::make_unique<RawSocket>(server.port));
    sockets.back()->upgrade();
  }
  // Each round, every connection sends a control ping and then, in a send of its own, a text
  // ping; then every answer is read. A connection's text ping often arrives while the server is
  // still answering the others, or writing that connection's control pong.
  for (int round = 0; round < 200; ++round) {
    const std::string id = std::to_string(round);
    for (auto& socket : sockets) {
      socket->send(control_ping(id));
      socket->send(ping_frame(id));
    }
    for (std::size_t i = 0; i < sockets.size(); ++i) {
      const auto pong = sockets[i]->next_message(2s);
      REQUIRE_MESSAGE(pong, "connection " << i << " got no control pong in round " << round);
      CHECK(pong->opcode == 0xA);
      CHECK(pong->payload == id);
      REQUIRE_MESSAGE(next_pong(*sockets[i], 2s) == id,
                      "connection " << i << " got no answer in round " << round);
    }
  }
}
