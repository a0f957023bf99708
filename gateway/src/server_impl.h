// The bidder server's internals, shared by its roles (after Boost.Beast's advanced server
// example, one role a file):
//
//   server.cpp          Listener (accepts, refuses past the connection limit) and Server's
//                       public face: answers from the wiring find their session here
//   http_session.cpp    DetectSession (TLS or not) → HttpSession: /healthz, /metrics, the
//                       page, the payment webhook, or the upgrade to WebSocket
//   ws_session.cpp      WsSession: reading frames, the write queue, closing
//   bidder_dispatcher   what a bidder's message asks for, its answer slots, the register →
//                       deposit → qualify chain (no transport: WsSession is one)
//
// Threading: Server::Impl's fields are set before start() and read by every IO thread; the
// session registry is guarded by its shared_mutex; `staged` belongs to the single IO thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "auction/gateway/server.h"
#include "io_courier.h"

namespace auction::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using HttpRequest = http::request<http::string_body>;

// The server's clock for `ts` fields and webhook timestamps.
TimeMs wall_ms();

// Origins carry the session's id (upper 44 bits) and a per-session request slot (lower 20).
constexpr unsigned kSlotBits = 20;
constexpr std::uint64_t kSlotMask = (std::uint64_t{1} << kSlotBits) - 1;
constexpr std::uint64_t session_of(std::uint64_t origin) {
  return origin >> kSlotBits;
}
constexpr std::uint32_t slot_of(std::uint64_t origin) {
  return static_cast<std::uint32_t>(origin & kSlotMask);
}

struct Metrics {
  std::atomic<std::uint64_t> connections_total{0}, connections_open{0}, connections_refused{0};
  std::atomic<std::uint64_t> frames_in{0}, frames_out{0}, bad_requests{0};
  std::atomic<std::uint64_t> bids_in{0}, bids_accepted{0}, bids_rejected{0}, bids_rate_limited{0};
  std::atomic<std::uint64_t> bids_unavailable{0}, messages_rate_limited{0};
  std::atomic<std::uint64_t> closed_too_big{0}, closed_abuse{0}, closed_slow_reader{0};
  std::atomic<std::uint64_t> resyncs{0};  // resync snapshots sent in place of a backlog
  std::atomic<std::uint64_t> sends{0};    // writes of queued frames, each one send
};

class BidderDispatcher;

struct Server::Impl {
  Impl(ServerOptions o, LotBoard& b, CommandPort& c, const Accounts& a, StatusSource s,
       SettlementPort* p)
      : options(std::move(o)),
        board(b),
        commands(c),
        accounts(a),
        status(std::move(s)),
        settlement(p),
        io(static_cast<int>(std::max(1u, options.io_threads))),
        acceptor(io),
        courier(io, options.limits.fanout_interval) {}

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  std::string metrics_text() const;

  std::uint64_t register_session(const std::shared_ptr<BidderDispatcher>& session);
  void unregister_session(std::uint64_t id);
  std::shared_ptr<BidderDispatcher> find_session(std::uint64_t id);

  // With one IO thread, bids read in one turn of the event loop go to the pipeline together
  // (one wake-up of the core instead of one per bid). IO thread only.
  void stage(CommandBody body, std::uint64_t origin);
  void flush_staged();

  ServerOptions options;
  LotBoard& board;
  CommandPort& commands;
  const Accounts& accounts;
  StatusSource status;
  SettlementPort* settlement;  // null: settlement is not enabled
  Metrics metrics;
  asio::io_context io;
  tcp::acceptor acceptor;
  IoCourier courier;  // the board's, with one IO thread
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};

  std::shared_mutex sessions_mutex;
  std::unordered_map<std::uint64_t, std::weak_ptr<BidderDispatcher>> sessions;
  std::uint64_t next_session_id = 1;
  std::optional<asio::ssl::context> tls;  // set when a certificate and key are configured

  std::vector<std::pair<CommandBody, std::uint64_t>> staged;
  bool flush_posted = false;
};

// A new connection: sniffs TLS when the server has a certificate, then serves HTTP
// (http_session.cpp).
void start_http_session(Server::Impl& server, tcp::socket&& socket);
// An upgraded connection speaks the bidder protocol from here on (ws_session.cpp).
void start_ws_session(Server::Impl& server, beast::tcp_stream&& stream, HttpRequest&& request);
void start_wss_session(Server::Impl& server, beast::ssl_stream<beast::tcp_stream>&& stream,
                       HttpRequest&& request);

}  // namespace auction::gateway
