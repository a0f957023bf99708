#include "admin_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace auctionctl {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

}  // namespace

AdminClient::AdminClient(std::string url, std::string token, std::chrono::milliseconds timeout)
    : url_(std::move(url)), token_(std::move(token)), timeout_(timeout) {
  while (!url_.empty() && url_.back() == '/')
    url_.pop_back();
  std::string_view rest = url_;
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  const auto colon = rest.rfind(':');
  host_ = std::string(rest.substr(0, colon));
  port_ = colon == std::string_view::npos ? "80" : std::string(rest.substr(colon + 1));
}

std::optional<HttpReply> AdminClient::request(std::string_view method, std::string_view target,
                                              std::string_view body, std::string& error) const {
  if (!url_.starts_with("http://") || host_.empty()) {
    error = "bad server URL \"" + url_ + "\": use http://HOST:PORT";
    return std::nullopt;
  }
  try {
    asio::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(timeout_);
    stream.connect(resolver.resolve(host_, port_));
    http::request<http::string_body> request{http::string_to_verb(method), std::string(target), 11};
    request.set(http::field::host, host_);
    request.set(http::field::user_agent, "auctionctl");
    request.set(http::field::authorization, "Bearer " + token_);
    request.set(http::field::content_type, "application/json");
    request.body() = std::string(body);
    request.keep_alive(false);
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::size_t{64} << 20);
    http::read(stream, buffer, parser);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return HttpReply{parser.get().result_int(), parser.get().body()};
  } catch (const beast::system_error& e) {
    error = "cannot reach auctiond at " + url_ + ": " +
            (e.code() == beast::error::timeout ? std::string("timed out") : e.code().message());
  } catch (const std::exception& e) {
    error = "cannot reach auctiond at " + url_ + ": " + e.what();
  }
  return std::nullopt;
}

}  // namespace auctionctl
