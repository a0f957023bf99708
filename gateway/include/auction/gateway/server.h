// The bidder-facing server: one port for WebSocket (/ws) and HTTP (/healthz, /metrics, the
// bidder page), on Boost.Beast/Asio.
//
// Contract:
//   - Requests are decoded with protocol.h; bids and other commands go to the CommandPort with an
//     origin that routes the answer back; answers leave only through answer(), which the wiring
//     calls once the command is durable. Reads come from the LotBoard (durable state only).
//   - Every limit of ServerLimits is enforced: frame size (close 1009), bid rate per connection
//     (token bucket: `rate_limited`, then close 1008 on sustained abuse), outbound queue per
//     connection (a client that does not read is disconnected; it never stalls others), number
//     of connections, handshake and idle timeouts.
//   - Settlement requests (register for a lot with a deposit, orders, pay, confirm_receipt,
//     dispute) and the payment webhook go to the SettlementPort; their answers leave once the
//     settlement input is durable. A deposit registration is answered `registered` only after
//     the hold is durable AND the engine has journaled the bidder's qualification.
//   - stop() stops accepting, closes connections after their pending answers were sent or
//     refused, and joins the IO threads.
// Threading: answer() and refuse() from any thread; start()/stop() from the owner.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "auction/engine/event.h"
#include "auction/gateway/lot_board.h"
#include "auction/gateway/settlement_port.h"

namespace auction::gateway {

struct ServerLimits {
  std::size_t max_frame_bytes = 4'096;
  // A message above max_frame_bytes is read and discarded up to this many bytes, so that the
  // client can read the close 1009 that follows (closing with its data unread would reset the
  // connection: 1006). Past it the connection is closed at once.
  std::size_t max_discard_bytes = std::size_t{64} << 20;
  double bids_per_second = 20.0;  // per connection, sustained
  double bid_burst = 40.0;        // per connection, bucket size
  // All messages, bids included, per connection: beyond it `error` rate_limited (a flood of
  // cheap-looking requests such as `lots` must not eat the server).
  double messages_per_second = 200.0;
  double message_burst = 400.0;
  // Rate-limited bids within one refill window that count as abuse (close 1008).
  std::uint32_t abuse_rejections = 200;
  std::size_t max_outbound_bytes = std::size_t{1} << 20;  // per connection
  // SPEC §7: a subscriber with this many frames still unsent skips a lot's events and gets a
  // fresh snapshot ("resync": true) once it has caught up, instead of an ever longer backlog.
  std::size_t resync_after_frames = 256;
  // With one IO thread: after a turn of many event deliveries (a hot lot's thousands of
  // watchers), the next turn waits this long, so that several events leave in one send (0:
  // never waits). Small turns and quiet spells never wait; answers never wait.
  // 20 ms: bench/RESULTS.md, fan-out.
  std::chrono::milliseconds fanout_interval{20};
  // A subscriber that stays behind this long without catching up does not read: closed (1008).
  std::chrono::milliseconds not_reading_timeout{10'000};
  std::size_t max_connections = 20'000;
  std::size_t max_pending_answers = 256;  // per connection: requests awaiting durability
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
};

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 = any free port (see Server::port())
  unsigned io_threads = 1;    // IO threads, each a lane of its own sessions (server_impl.h)
  ServerLimits limits;
  std::string page_html;  // the bidder page served at "/"
  // Optional TLS: with both set, the same port also speaks https and wss (PEM files).
  std::string tls_certificate_file;
  std::string tls_private_key_file;
  // The payment provider's webhook (POST /webhooks/payment, see webhook.h): its shared secret
  // (empty = no webhook) and how far a notice's timestamp may be from now.
  std::string webhook_secret;
  DurationMs webhook_tolerance_ms = 5 * 60 * 1000;
};

// Where the gateway sends commands (the pipeline). False = refused at once (`unavailable`).
class CommandPort {
 public:
  virtual ~CommandPort() = default;
  virtual bool submit(CommandBody body, std::uint64_t origin) = 0;
  // A batch at once (bodies are moved from); the origins of those not taken go to `refused`.
  virtual void submit_all(std::span<std::pair<CommandBody, std::uint64_t>> batch,
                          std::vector<std::uint64_t>& refused) {
    for (auto& [body, origin] : batch) {
      if (!submit(std::move(body), origin)) refused.push_back(origin);
    }
  }
};

// Who may log in.
class Accounts {
 public:
  virtual ~Accounts() = default;
  virtual bool verify(const UserId& user, std::string_view token) const = 0;
};

// Extra lines for /metrics and fields for /healthz, from the wiring (journal, pipeline).
struct StatusSource {
  std::function<std::string()> metrics_text;
  // Why the server cannot take commands now, for /healthz (503 with the reason); empty: healthy.
  std::function<std::string()> unhealthy_reason;
  // GET /nodes: {"nodes": [bidder page URLs of the shard's live nodes]} (SPEC §11: the page
  // reconnects to another node); unset: this server alone.
  std::function<std::string()> nodes_json;
};

class Server {
 public:
  // Without `settlement`, deposits, orders and the webhook answer `unavailable`.
  Server(ServerOptions options, LotBoard& board, CommandPort& commands, const Accounts& accounts,
         StatusSource status = {}, SettlementPort* settlement = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void start();
  void stop();
  std::uint16_t port() const;

  // The durable outcome of the command submitted with `origin`.
  void answer(std::uint64_t origin, Seq seq, std::span<const Event> events);
  // Many durable outcomes at once (a journal batch): one hand-off to the IO thread, not one each.
  struct Answer {
    std::uint64_t origin = 0;
    Seq seq = 0;
    std::span<const Event> events;
  };
  void answer_all(std::span<const Answer> answers);
  // The command submitted with `origin` was never applied: answer `unavailable`.
  void refuse(std::uint64_t origin);
  // Closes every session logged in as `user` (1008 "token revoked"). Any thread.
  void disconnect_user(const UserId& user);
  // Pushes an `order` message about each order to its buyer's and seller's sessions. Any thread.
  void notify_orders(std::span<const settlement::Order> orders);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace auction::gateway
