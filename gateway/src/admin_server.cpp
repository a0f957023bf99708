// The admin interface over HTTP, after Boost.Beast's HTTP server examples: a listener accepts,
// an AdminSession reads one request at a time, asks the AdminApi, and writes the response.
#include "auction/gateway/admin_server.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <pthread.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "auction/engine/assert.h"
#include "listen.h"

namespace auction::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

Digest sha256(std::string_view text) {
  Digest digest;
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

}  // namespace

struct AdminServer::Impl {
  Impl(AdminOptions o, AdminApi& a, CommandPort& c, SettlementPort* s)
      : options(std::move(o)),
        api(a),
        commands(c),
        settlement(s),
        token_hash(sha256(options.token)),
        acceptor(io) {}

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  bool authorized(std::string_view header) const;

  // Admin commands run one at a time, in arrival order (IO thread only).
  using Done = std::function<void(const CommandResult&)>;
  void enqueue(CommandBody command, Done done);
  void run_next();
  void finish(std::uint64_t origin, CommandResult result);

  // Settlement inputs: submitted at once; false when refused (answer 503). IO thread only.
  using Settled = std::function<void(const settlement::Answer&)>;
  bool settle(settlement::InputBody input, Settled done);
  void settled(std::uint64_t id, const settlement::Answer& answer);

  // Settlement's answers come back through the gate; stop() closes it, so an answer arriving
  // later (settlement thread) is dropped instead of touching a stopped server.
  struct Gate {
    std::mutex mutex;
    Impl* impl = nullptr;
  };

  AdminOptions options;
  AdminApi& api;
  CommandPort& commands;
  SettlementPort* settlement;
  Digest token_hash;
  std::size_t open_sessions = 0;  // before io: sessions still queued in io count down on exit
  asio::io_context io{1};
  tcp::acceptor acceptor;
  std::thread thread;

  struct Job {
    CommandBody command;
    Done done;
  };
  std::deque<Job> waiting;
  std::uint64_t running_origin = 0;  // 0 = none in flight
  Done running_done;
  std::uint64_t next_origin = 1;

  std::shared_ptr<Gate> gate = std::make_shared<Gate>();
  // After io: the sessions these hold close their sockets before io goes.
  std::map<std::uint64_t, Settled> settling;
  std::uint64_t next_settle = 1;
};

// ---------------------------------------------------------------------------------------------

class AdminSession : public std::enable_shared_from_this<AdminSession> {
 public:
  AdminSession(AdminServer::Impl& server, tcp::socket&& socket)
      : server_(server), stream_(std::move(socket)) {
    ++server_.open_sessions;
  }
  ~AdminSession() { --server_.open_sessions; }

  void run() { do_read(); }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(server_.options.max_body_bytes);
    stream_.expires_after(server_.options.request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&AdminSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      return send(AdminApi::error(
          413, "too_large",
          "the request body exceeds " + std::to_string(server_.options.max_body_bytes) + " bytes"));
    }
    if (ec) return close();
    request_ = parser_->release();
    keep_alive_ = request_.keep_alive();
    const auto authorization = request_[http::field::authorization];
    if (!server_.authorized({authorization.data(), authorization.size()})) {
      return send(AdminApi::error(401, "unauthorized", "wrong or missing admin token"));
    }
    const auto method = request_.method_string();
    const auto target = request_.target();
    AdminReply reply = server_.api.handle(AdminRequest{
        {method.data(), method.size()}, {target.data(), target.size()}, request_.body()});
    if (auto* response = std::get_if<AdminResponse>(&reply)) return send(std::move(*response));
    if (auto* input = std::get_if<DeferredSettlement>(&reply)) {
      const bool taken =
          server_.settle(std::move(input->input),
                         [self = shared_from_this(), finish = std::move(input->finish)](
                             const settlement::Answer& answer) { self->send(finish(answer)); });
      if (!taken) {
        send(AdminApi::error(503, "unavailable",
                             "settlement did not take the request (queue full, stopping or "
                             "failed): nothing changed"));
      }
      return;
    }
    auto& deferred = std::get<DeferredCommand>(reply);
    server_.enqueue(std::move(deferred.command),
                    [self = shared_from_this(), finish = std::move(deferred.finish)](
                        const CommandResult& result) { self->send(finish(result)); });
  }

  void send(AdminResponse response) {
    response_.result(static_cast<http::status>(response.status));
    response_.version(11);
    response_.keep_alive(keep_alive_);
    response_.set(http::field::server, "auctiond-admin");
    response_.set(http::field::content_type, "application/json");
    response_.body() = std::move(response.body);
    response_.body().push_back('\n');
    response_.prepare_payload();
    stream_.expires_after(server_.options.request_timeout);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&AdminSession::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec || !keep_alive_) return close();
    do_read();
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  AdminServer::Impl& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  bool keep_alive_ = true;
};

// ---------------------------------------------------------------------------------------------

bool AdminServer::Impl::authorized(std::string_view header) const {
  constexpr std::string_view kScheme = "Bearer ";
  if (header.substr(0, kScheme.size()) != kScheme) return false;
  const Digest presented = sha256(header.substr(kScheme.size()));
  return CRYPTO_memcmp(presented.data(), token_hash.data(), presented.size()) == 0;
}

void AdminServer::Impl::do_accept() {
  acceptor.async_accept(beast::bind_front_handler(&Impl::on_accept, this));
}

void AdminServer::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted) return;
  if (!ec) {
    if (open_sessions >= options.max_connections) {
      socket.close(ec);  // over the limit: refused at once
    } else {
      std::make_shared<AdminSession>(*this, std::move(socket))->run();
    }
  }
  do_accept();
}

void AdminServer::Impl::enqueue(CommandBody command, Done done) {
  if (waiting.size() >= options.max_waiting_commands) {
    done(CommandResult{true, 0, {}});
    return;
  }
  waiting.push_back(Job{std::move(command), std::move(done)});
  if (running_origin == 0) run_next();
}

void AdminServer::Impl::run_next() {
  while (running_origin == 0 && !waiting.empty()) {
    Job job = std::move(waiting.front());
    waiting.pop_front();
    const std::uint64_t origin = kOriginBit | next_origin++;
    running_origin = origin;
    running_done = std::move(job.done);
    if (!commands.submit(std::move(job.command), origin)) {
      running_origin = 0;
      std::exchange(running_done, nullptr)(CommandResult{true, 0, {}});
    }
  }
}

void AdminServer::Impl::finish(std::uint64_t origin, CommandResult result) {
  // Exactly one answer per submitted command, and only one command is in flight.
  AUCTION_ASSERT(origin == running_origin);
  running_origin = 0;
  std::exchange(running_done, nullptr)(result);
  run_next();
}

bool AdminServer::Impl::settle(settlement::InputBody input, Settled done) {
  if (settlement == nullptr || settling.size() >= options.max_waiting_commands) return false;
  const std::uint64_t id = next_settle++;
  settling.emplace(id, std::move(done));  // before submit: the answer may come back at once
  const bool taken =
      settlement->submit(std::move(input), [back = gate, id](const settlement::Answer& answer) {
        const std::lock_guard lock(back->mutex);
        if (back->impl == nullptr) return;
        asio::post(back->impl->io, [impl = back->impl, id, answer] { impl->settled(id, answer); });
      });
  if (!taken) settling.erase(id);
  return taken;
}

void AdminServer::Impl::settled(std::uint64_t id, const settlement::Answer& answer) {
  const auto found = settling.find(id);
  AUCTION_ASSERT(found != settling.end());  // the port answers each input exactly once
  Settled done = std::move(found->second);
  settling.erase(found);
  done(answer);
}

// ---------------------------------------------------------------------------------------------

AdminServer::AdminServer(AdminOptions options, AdminApi& api, CommandPort& commands,
                         SettlementPort* settlement)
    : impl_(std::make_unique<Impl>(std::move(options), api, commands, settlement)) {
  AUCTION_ASSERT(!impl_->options.token.empty());
  impl_->gate->impl = impl_.get();
}

AdminServer::~AdminServer() {
  stop();
}

void AdminServer::start() {
  Impl& impl = *impl_;
  listen_on(impl.acceptor, impl.options.address, impl.options.port);
  impl.do_accept();
  impl.thread = std::thread([&impl] {
    pthread_setname_np(pthread_self(), "admin");
    impl.io.run();
  });
}

void AdminServer::stop() {
  Impl& impl = *impl_;
  {
    const std::lock_guard lock(impl.gate->mutex);
    impl.gate->impl = nullptr;
  }
  if (!impl.thread.joinable()) return;
  impl.io.stop();
  impl.thread.join();
  beast::error_code ignored;
  impl.acceptor.close(ignored);
}

std::uint16_t AdminServer::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void AdminServer::answer(std::uint64_t origin, Seq seq, std::span<const Event> events) {
  asio::post(impl_->io,
             [impl = impl_.get(), origin,
              result = CommandResult{false, seq, {events.begin(), events.end()}}]() mutable {
               impl->finish(origin, std::move(result));
             });
}

void AdminServer::refuse(std::uint64_t origin) {
  asio::post(impl_->io, [impl = impl_.get(), origin] {
    impl->finish(origin, CommandResult{true, 0, {}});
  });
}

}  // namespace auction::gateway
