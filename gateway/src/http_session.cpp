// HttpSession: one connection's HTTP requests — /healthz, /metrics, the bidder page, the
// payment webhook — or its upgrade to a WebSocket at /ws. DetectSession sniffs TLS first when
// the server has a certificate, so one port serves http/ws and https/wss.
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <array>

#include "auction/gateway/json_writer.h"
#include "auction/gateway/webhook.h"
#include "server_impl.h"

namespace auction::gateway {
namespace {

namespace websocket = beast::websocket;
using TlsStream = beast::ssl_stream<LaneStream>;

template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  // `buffer` holds what was read while detecting TLS.
  HttpSession(Server::Impl& server, LaneStream&& stream,
              beast::flat_buffer&& buffer) requires(!kTls)
      : server_(server), stream_(std::move(stream)), buffer_(std::move(buffer)) {
    server_.metrics.connections_open.fetch_add(1);
  }
  HttpSession(Server::Impl& server, LaneStream&& stream, beast::flat_buffer&& buffer) requires(kTls)
      : server_(server), stream_(std::move(stream), *server.tls), buffer_(std::move(buffer)) {
    server_.metrics.connections_open.fetch_add(1);
  }
  ~HttpSession() { server_.metrics.connections_open.fetch_sub(1); }

  void run() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(server_.options.limits.handshake_timeout);
      stream_.async_handshake(
          asio::ssl::stream_base::server, buffer_.data(),
          // Variadic: Boost 1.81 checks this handler against the wrong
          // signature, void(error_code); it is called with (ec, bytes used).
          [self = this->shared_from_this()](beast::error_code ec, auto... used) {
            if (ec) return;  // not TLS after all, or a failed handshake
            (self->buffer_.consume(used), ...);
            self->do_read();
          });
    } else {
      asio::dispatch(stream_.get_executor(),
                     beast::bind_front_handler(&HttpSession::do_read, this->shared_from_this()));
    }
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(8 * 1024);
    parser_->body_limit(64 * 1024);
    // Slowloris: a request that does not arrive in time closes the connection.
    beast::get_lowest_layer(stream_).expires_after(server_.options.limits.handshake_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::header_limit) {
      return refuse(http::status::request_header_fields_too_large, "headers over 8 KiB\n");
    }
    if (ec == http::error::body_limit) {
      return refuse(http::status::payload_too_large, "body over 64 KiB\n");
    }
    if (ec) return close();
    auto request = parser_->release();
    if (websocket::is_upgrade(request) && request.target() == "/ws") {
      beast::get_lowest_layer(stream_).expires_never();
      if constexpr (kTls) {
        start_wss_session(server_, std::move(stream_), std::move(request));
      } else {
        start_ws_session(server_, std::move(stream_), std::move(request));
      }
      return;
    }
    respond(std::move(request));
  }

  // The payment provider's notice: checked, then booked through settlement; answered once the
  // credit is durable (or refused, booking nothing).
  void handle_webhook(http::request<http::string_body>&& request) {
    const unsigned version = request.version();
    const bool keep_alive = request.keep_alive();
    SettlementPort* settlement = server_.settlement;
    if (settlement == nullptr || server_.options.webhook_secret.empty()) {
      return write_json(503, webhook_error("unavailable", "payments are not enabled"), version,
                        keep_alive);
    }
    const auto header = request[kWebhookSignatureHeader];
    auto checked = check_webhook(request.body(), std::string_view(header.data(), header.size()),
                                 server_.options.webhook_secret, wall_ms(),
                                 server_.options.webhook_tolerance_ms);
    if (const auto* problem = std::get_if<WebhookError>(&checked)) {
      return write_json(problem->status, webhook_error(problem->code, problem->message), version,
                        keep_alive);
    }
    settlement::Credit credit = std::move(std::get<settlement::Credit>(checked));
    if (!settlement->user_exists(credit.user)) {
      return write_json(404, webhook_error("unknown_user", "no such user"), version, keep_alive);
    }
    const std::string reference = credit.reference;
    auto done = [self = this->shared_from_this(), version, keep_alive,
                 reference](const settlement::Answer& answer) {
      asio::post(self->stream_.get_executor(), [self, version, keep_alive, reference, answer] {
        self->on_booked(answer, reference, version, keep_alive);
      });
    };
    if (!settlement->submit(std::move(credit), std::move(done))) {
      write_json(503, webhook_error("unavailable", "payments cannot be booked now"), version,
                 keep_alive);
    }
  }

  void on_booked(const settlement::Answer& answer, const std::string& reference, unsigned version,
                 bool keep_alive) {
    if (!answer.ok()) {
      const unsigned status = answer.error == settlement::SettleError::duplicate_reference ? 409
                              : answer.error == settlement::SettleError::unavailable       ? 503
                                                                                           : 400;
      return write_json(status,
                        webhook_error(settlement::settle_error_name(answer.error), answer.message),
                        version, keep_alive);
    }
    std::string body;
    JsonWriter w(body);
    w.begin_object()
        .field("booked", true)
        .field("reference", reference)
        .field("transfer", answer.transfer_id)
        .end_object();
    write_json(200, std::move(body), version, keep_alive);
  }

  static std::string webhook_error(std::string_view code, std::string_view message) {
    std::string body;
    JsonWriter w(body);
    w.begin_object().begin_object("error").field("code", code).field("message", message);
    w.end_object().end_object();
    return body;
  }

  void write_json(unsigned status, std::string body, unsigned version, bool keep_alive) {
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(version);
    response->keep_alive(keep_alive);
    response->result(status);
    response->set(http::field::server, "auctiond");
    response->set(http::field::content_type, "application/json");
    response->body() = std::move(body) + "\n";
    send(response);
  }

  // A request past a limit: say which, then close. The rest of the request is read and dropped
  // for a while, so that closing with it unread does not reset the connection before the client
  // has read the answer.
  void refuse(http::status status, const char* body) {
    auto response = std::make_shared<http::response<http::string_body>>(status, 11);
    response->set(http::field::server, "auctiond");
    response->keep_alive(false);
    response->body() = body;
    send(response, /*drain=*/true);
  }

  // `drain`: after a refusal, the unread rest of the request is read and dropped (see refuse()).
  void send(const std::shared_ptr<http::response<http::string_body>>& response,
            bool drain = false) {
    response->prepare_payload();
    http::async_write(
        stream_, *response,
        [self = this->shared_from_this(), response, drain](beast::error_code ec, std::size_t) {
          if (ec || !response->keep_alive()) {
            self->close();
            if (!ec && drain) {
              // One deadline for the whole drain: a trickling client cannot stretch it.
              beast::get_lowest_layer(self->stream_)
                  .expires_after(self->server_.options.limits.handshake_timeout);
              self->drain(kMaxDrainBytes);
            }
            return;
          }
          self->do_read();
        });
  }

  void drain(std::size_t budget_bytes) {
    stream_.async_read_some(
        asio::buffer(drain_buffer_),
        [self = this->shared_from_this(), budget_bytes](beast::error_code ec, std::size_t n) {
          if (!ec && n < budget_bytes) self->drain(budget_bytes - n);
        });
  }

  void respond(http::request<http::string_body>&& request) {
    if (request.method() == http::verb::post && request.target() == kWebhookPath) {
      return handle_webhook(std::move(request));
    }
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(request.version());
    response->keep_alive(request.keep_alive());
    response->set(http::field::server, "auctiond");
    const std::string_view target(request.target().data(), request.target().size());
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      response->result(http::status::method_not_allowed);
      response->body() = "method not allowed\n";
    } else if (target == "/healthz") {
      const std::string reason =
          server_.status.unhealthy_reason ? server_.status.unhealthy_reason() : std::string();
      response->result(reason.empty() ? http::status::ok : http::status::service_unavailable);
      response->set(http::field::content_type, "application/json");
      std::string body;
      JsonWriter w(body);
      w.begin_object().field("status", reason.empty() ? "ok" : "unavailable");
      if (!reason.empty()) w.field("reason", reason);
      w.field("lots", static_cast<std::uint64_t>(server_.board.lot_count()))
          .field("connections", server_.metrics.connections_open.load())
          .end_object();
      response->body() = body + "\n";
    } else if (target == "/nodes") {
      // The addresses a page may reconnect to (SPEC §11); a lone server lists none.
      response->result(http::status::ok);
      response->set(http::field::content_type, "application/json");
      response->set(http::field::cache_control, "no-store");
      response->body() =
          (server_.status.nodes_json ? server_.status.nodes_json() : R"({"nodes":[]})") + "\n";
    } else if (target == "/metrics") {
      response->result(http::status::ok);
      response->set(http::field::content_type, "text/plain; version=0.0.4");
      response->body() = server_.metrics_text();
    } else if (target == "/" || target == "/index.html") {
      response->result(http::status::ok);
      response->set(http::field::content_type, "text/html; charset=utf-8");
      response->body() = server_.options.page_html;
    } else if (target == "/ws") {
      // The bidder endpoint, asked for without the WebSocket handshake (RFC 7231 §6.5.15).
      response->result(http::status::upgrade_required);
      response->set(http::field::upgrade, "websocket");
      response->set(http::field::connection, "Upgrade");
      response->body() = "this is the WebSocket endpoint: connect with a WebSocket client\n";
    } else {
      response->result(http::status::not_found);
      response->body() = "not found\n";
    }
    send(response);
  }

  void close() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  Server::Impl& server_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  static constexpr std::size_t kMaxDrainBytes = 1 << 20;
  std::array<char, 4096> drain_buffer_{};
};

// Sniffs the first bytes of a connection: a TLS ClientHello goes to an HTTPS session, anything
// else to plain HTTP.
class DetectSession : public std::enable_shared_from_this<DetectSession> {
 public:
  DetectSession(Server::Impl& server, LaneSocket&& socket)
      : server_(server), stream_(std::move(socket)) {}

  // On the socket's lane: the acceptor's thread may be another lane's.
  void run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&DetectSession::detect, shared_from_this()));
  }

 private:
  void detect() {
    stream_.expires_after(server_.options.limits.handshake_timeout);
    beast::async_detect_ssl(
        stream_, buffer_, beast::bind_front_handler(&DetectSession::on_detect, shared_from_this()));
  }

  void on_detect(beast::error_code ec, bool tls) {
    if (ec) return;
    if (tls) {
      std::make_shared<HttpSession<TlsStream>>(server_, std::move(stream_), std::move(buffer_))
          ->run();
    } else {
      std::make_shared<HttpSession<LaneStream>>(server_, std::move(stream_), std::move(buffer_))
          ->run();
    }
  }

  Server::Impl& server_;
  LaneStream stream_;
  beast::flat_buffer buffer_;
};

}  // namespace

void start_http_session(Server::Impl& server, LaneSocket&& socket) {
  if (server.tls) {
    std::make_shared<DetectSession>(server, std::move(socket))->run();
  } else {
    std::make_shared<HttpSession<LaneStream>>(server, LaneStream(std::move(socket)),
                                              beast::flat_buffer{})
        ->run();
  }
}

}  // namespace auction::gateway
