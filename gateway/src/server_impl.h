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
// Threading: each IO thread runs one Lane (its own io_context): a session lives on the lane it
// was accepted to, so no session needs a strand, and a lane's `staged` bids and courier turns
// belong to its thread. Server::Impl's fields are set before start() and read by every lane; the
// session registry is guarded by its shared_mutex.
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
#include <chrono>
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

// A lane's sockets name its io_context's executor type, not any_io_executor: each of Beast's
// read operations keeps a copy of its stream's executor, and copying and destroying the
// type-erased one was 3–4 % of auctiond's CPU at 50 × 16 in flight (bench/RESULTS.md).
using LaneExecutor = asio::io_context::executor_type;
using LaneSocket = asio::basic_stream_socket<tcp, LaneExecutor>;
using LaneStream = beast::basic_stream<tcp, LaneExecutor, beast::unlimited_rate_policy>;

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

// One IO thread and what runs on it: its sessions, the board's deliveries to them (one hand-off
// per turn), and the bids they read, staged for the pipeline.
struct Lane {
  Lane(unsigned i, std::chrono::milliseconds fanout_interval)
      : index(i), courier(io, fanout_interval) {}
  const unsigned index;  // in Server::Impl::lanes
  asio::io_context io{1};
  IoCourier courier;
  std::vector<std::pair<CommandBody, std::uint64_t>> staged;
  bool flush_posted = false;
  std::thread thread;
};

// The board's courier: splits a publish's deliveries by the lane of each subscriber, one
// hand-off per lane (with one lane: the whole batch, untouched).
class LaneCourier final : public Courier {
 public:
  explicit LaneCourier(std::vector<std::unique_ptr<Lane>>& lanes);
  void hand_over(std::vector<Delivery>&& batch) override;

 private:
  std::vector<std::unique_ptr<Lane>>& lanes_;
  std::vector<std::vector<Delivery>> split_;  // per lane; under the board's lock
};

struct Server::Impl {
  Impl(ServerOptions o, LotBoard& b, CommandPort& c, const Accounts& a, StatusSource s,
       SettlementPort* p)
      : options(std::move(o)),
        board(b),
        commands(c),
        accounts(a),
        status(std::move(s)),
        settlement(p),
        lanes(make_lanes(options)),
        acceptor(lanes.front()->io),
        courier(lanes) {}
  static std::vector<std::unique_ptr<Lane>> make_lanes(const ServerOptions& options);

  void do_accept();
  void on_accept(beast::error_code ec, LaneSocket socket);
  std::string metrics_text() const;

  std::uint64_t register_session(const std::shared_ptr<BidderDispatcher>& session);
  void unregister_session(std::uint64_t id);
  std::shared_ptr<BidderDispatcher> find_session(std::uint64_t id);

  // Bids read in one turn of a lane's event loop go to the pipeline together (one wake-up of the
  // core instead of one per bid). On that lane's thread.
  void stage(Lane& lane, CommandBody body, std::uint64_t origin);
  void flush_staged(Lane& lane);
  // The lane whose io_context runs `executor` (a session's).
  Lane& lane_of(const LaneExecutor& executor);

  ServerOptions options;
  LotBoard& board;
  CommandPort& commands;
  const Accounts& accounts;
  StatusSource status;
  SettlementPort* settlement;  // null: settlement is not enabled
  // What sessions use as they end: declared before the lanes, so that it outlives them (a lane's
  // io_context, destroyed, destroys the sessions its handlers still hold).
  Metrics metrics;
  std::shared_mutex sessions_mutex;
  std::unordered_map<std::uint64_t, std::weak_ptr<BidderDispatcher>> sessions;
  std::uint64_t next_session_id = 1;
  std::optional<asio::ssl::context> tls;  // set when a certificate and key are configured
  std::atomic<bool> stopping{false};

  std::vector<std::unique_ptr<Lane>> lanes;  // options.io_threads of them, at least one
  tcp::acceptor acceptor;                    // on the first lane; sockets go round the lanes
  std::size_t next_lane = 0;                 // the acceptor's lane only
  LaneCourier courier;                       // the board's
  bool started = false;
};

// A new connection: sniffs TLS when the server has a certificate, then serves HTTP
// (http_session.cpp).
void start_http_session(Server::Impl& server, LaneSocket&& socket);
// An upgraded connection speaks the bidder protocol from here on (ws_session.cpp).
void start_ws_session(Server::Impl& server, LaneStream&& stream, HttpRequest&& request);
void start_wss_session(Server::Impl& server, beast::ssl_stream<LaneStream>&& stream,
                       HttpRequest&& request);

}  // namespace auction::gateway
