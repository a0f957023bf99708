#include "ws_client.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace auction::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// One IO thread reads continuously into a queue and performs the queued writes in order.
struct WsClient::Impl {
  asio::io_context io;
  websocket::stream<beast::tcp_stream> ws{io};
  beast::flat_buffer buffer;
  std::deque<std::string> writes;
  std::thread thread;

  std::mutex mutex;
  std::condition_variable arrived;
  std::deque<std::string> messages;
  int close_code = 0;
  bool open = true;
  std::string last_error;

  void do_read() {
    ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
      std::lock_guard lock(mutex);
      if (ec) {
        open = false;
        last_error = ec.message();
        // The close frame's code, even when the teardown after it reported an error.
        close_code = ws.reason().code;
        arrived.notify_all();
        return;
      }
      messages.push_back(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
      arrived.notify_all();
      do_read();
    });
  }
  void do_write() {
    ws.async_write(asio::buffer(writes.front()), [this](beast::error_code ec, std::size_t) {
      if (ec) return;
      writes.pop_front();
      if (!writes.empty()) do_write();
    });
  }
};

WsClient::WsClient(const std::string& host, unsigned short port, const std::string& path)
    : impl_(std::make_unique<Impl>()) {
  tcp::resolver resolver(impl_->io);
  beast::get_lowest_layer(impl_->ws).connect(resolver.resolve(host, std::to_string(port)));
  impl_->ws.handshake(host + ":" + std::to_string(port), path);
  impl_->ws.text(true);
  impl_->do_read();
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

WsClient::~WsClient() {
  asio::post(impl_->io, [this] {
    beast::error_code ignored;
    beast::get_lowest_layer(impl_->ws).socket().close(ignored);
  });
  impl_->thread.join();
}

void WsClient::send(const std::string& text) {
  asio::post(impl_->io, [this, text] {
    impl_->writes.push_back(text);
    if (impl_->writes.size() == 1) impl_->do_write();
  });
}

std::optional<std::string> WsClient::receive(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  impl_->arrived.wait_for(lock, timeout, [&] { return !impl_->messages.empty() || !impl_->open; });
  if (impl_->messages.empty()) return std::nullopt;
  std::string message = std::move(impl_->messages.front());
  impl_->messages.pop_front();
  return message;
}

int WsClient::close_code() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->close_code;
}

std::string WsClient::last_error() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->last_error;
}

bool WsClient::is_open() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->open;
}

namespace {

// GET `target` on a connected stream (plain or TLS).
template <typename Stream>
HttpReply get(Stream& stream, const std::string& target) {
  beast::http::request<beast::http::empty_body> request(beast::http::verb::get, target, 11);
  request.set(beast::http::field::host, "127.0.0.1");
  beast::http::write(stream, request);
  beast::flat_buffer buffer;
  beast::http::response<beast::http::string_body> response;
  beast::http::read(stream, buffer, response);
  return {static_cast<int>(response.result_int()), response.body()};
}

}  // namespace

HttpReply http_get(unsigned short port, const std::string& target) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(tcp::resolver(io).resolve("127.0.0.1", std::to_string(port)));
  return get(stream, target);
}

HttpReply http_request(unsigned short port, const std::string& method, const std::string& target,
                       const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(tcp::resolver(io).resolve("127.0.0.1", std::to_string(port)));
  beast::http::request<beast::http::string_body> request(beast::http::string_to_verb(method),
                                                         target, 11);
  request.set(beast::http::field::host, "127.0.0.1");
  request.set(beast::http::field::content_type, "application/json");
  for (const auto& [name, value] : headers)
    request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  beast::http::write(stream, request);
  beast::flat_buffer buffer;
  beast::http::response<beast::http::string_body> response;
  beast::http::read(stream, buffer, response);
  return {static_cast<int>(response.result_int()), response.body()};
}

HttpReply https_get(unsigned short port, const std::string& target) {
  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_verify_mode(asio::ssl::verify_none);
  beast::ssl_stream<beast::tcp_stream> stream(io, tls);
  beast::get_lowest_layer(stream).connect(
      tcp::resolver(io).resolve("127.0.0.1", std::to_string(port)));
  stream.handshake(asio::ssl::stream_base::client);
  return get(stream, target);
}

}  // namespace auction::testing
