// A blocking WebSocket client for tests (Boost.Beast), speaking to a server on loopback.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace auction::testing {

class WsClient {
 public:
  WsClient(const std::string& host, unsigned short port, const std::string& path = "/ws");
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  void send(const std::string& text);
  // The next message; none on timeout or when the connection closed.
  std::optional<std::string> receive(std::chrono::milliseconds timeout);
  // The close code the server sent, once the connection is closed (0 = none yet).
  int close_code() const;
  bool is_open() const;
  std::string last_error() const;  // why the connection ended, for test messages

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// An HTTP answer. Named fields rather than a pair: clang 14 cannot capture a structured binding in
// a lambda, and doctest's CAPTURE and *_MESSAGE are lambdas.
struct HttpReply {
  int status = 0;
  std::string body;
};

// HTTP GET on loopback.
HttpReply http_get(unsigned short port, const std::string& target);
// An HTTP request ("GET", "POST", ...) with a body and extra header fields on loopback.
HttpReply http_request(unsigned short port, const std::string& method, const std::string& target,
                       const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers);
// The same over TLS (the server's certificate is not verified: tests use a self-signed one).
HttpReply https_get(unsigned short port, const std::string& target);

}  // namespace auction::testing
