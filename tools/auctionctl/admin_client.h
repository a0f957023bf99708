// A blocking HTTP client for auctiond's admin interface (Boost.Beast), one request per call.
//
// Contract: request() sends one JSON request with the admin token and returns the status and
// body, or a transport error (cannot connect, timeout, not HTTP) as a sentence. It never throws.
// Threading: one client per thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace auctionctl {

struct HttpReply {
  unsigned status = 0;
  std::string body;
};

class AdminClient {
 public:
  // `url` is http://HOST:PORT (no path).
  AdminClient(std::string url, std::string token, std::chrono::milliseconds timeout);

  // The reply, or none with `error` set when the server could not be reached.
  std::optional<HttpReply> request(std::string_view method, std::string_view target,
                                   std::string_view body, std::string& error) const;
  const std::string& url() const { return url_; }

 private:
  std::string url_;
  std::string host_;
  std::string port_;
  std::string token_;
  std::chrono::milliseconds timeout_;
};

}  // namespace auctionctl
