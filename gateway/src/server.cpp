// The server's roles, after Boost.Beast's advanced server example: a Listener accepts, an
// HttpSession reads requests (serving /healthz, /metrics and the page, or upgrading /ws), a
// WsSession speaks the bidder protocol. Each session runs on its own strand.
#include "auction/gateway/server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <array>
#include <atomic>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "auction/gateway/json_writer.h"
#include "auction/gateway/protocol.h"
#include "auction/gateway/settlement_json.h"
#include "auction/gateway/webhook.h"
#include "listen.h"

namespace auction::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

TimeMs wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Origins carry the session's id (upper 44 bits) and a per-session request slot (lower 20).
constexpr unsigned kSlotBits = 20;
constexpr std::uint64_t kSlotMask = (std::uint64_t{1} << kSlotBits) - 1;

struct Metrics {
  std::atomic<std::uint64_t> connections_total{0}, connections_open{0}, connections_refused{0};
  std::atomic<std::uint64_t> frames_in{0}, frames_out{0}, bad_requests{0};
  std::atomic<std::uint64_t> bids_in{0}, bids_accepted{0}, bids_rejected{0}, bids_rate_limited{0};
  std::atomic<std::uint64_t> bids_unavailable{0}, messages_rate_limited{0};
  std::atomic<std::uint64_t> closed_too_big{0}, closed_abuse{0}, closed_slow_reader{0};
};

std::string error_message(std::string_view code, std::string_view message,
                          const std::optional<std::string>& id) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("type", "error").field("ts", wall_ms());
  if (id) w.field("id", *id);
  w.field("code", code).field("message", message).end_object();
  return out;
}

std::string simple_message(std::string_view type, const std::optional<std::string>& id,
                           std::string_view key = {}, std::string_view value = {}) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("type", type).field("ts", wall_ms());
  if (id) w.field("id", *id);
  if (!key.empty()) w.field(key, value);
  w.end_object();
  return out;
}

}  // namespace

// What the server keeps of a WebSocket session, whatever its transport (plain or TLS).
// A token bucket: `rate` tokens per second up to `burst`.
class TokenBucket {
 public:
  TokenBucket(double rate, double burst)
      : rate_(rate), burst_(burst), tokens_(burst), refilled_(std::chrono::steady_clock::now()) {}
  bool take() {
    const auto now = std::chrono::steady_clock::now();
    tokens_ =
        std::min(burst_, tokens_ + std::chrono::duration<double>(now - refilled_).count() * rate_);
    refilled_ = now;
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  double rate_, burst_, tokens_;
  std::chrono::steady_clock::time_point refilled_;
};

class WsSessionBase : public Subscriber {
 public:
  virtual void answer(std::uint32_t slot, Seq seq, std::vector<Event> events) = 0;
  virtual void refuse(std::uint32_t slot) = 0;
  // Must run on the session's executor (the single IO thread: see Server::answer_all).
  virtual void answer_now(std::uint32_t slot, Seq seq, std::span<const Event> events) = 0;
  // Closes the session (1008) because its user's token was revoked. Any thread.
  virtual void close_revoked() = 0;
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
        io(static_cast<int>(std::max(1u, options.io_threads))),
        acceptor(io) {}

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  std::string metrics_text() const;

  std::uint64_t register_session(const std::shared_ptr<WsSessionBase>& session);
  void unregister_session(std::uint64_t id);
  std::shared_ptr<WsSessionBase> find_session(std::uint64_t id);

  ServerOptions options;
  LotBoard& board;
  CommandPort& commands;
  const Accounts& accounts;
  StatusSource status;
  SettlementPort* settlement;  // null: settlement is not enabled
  Metrics metrics;
  asio::io_context io;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};

  std::shared_mutex sessions_mutex;
  std::unordered_map<std::uint64_t, std::weak_ptr<WsSessionBase>> sessions;
  std::optional<asio::ssl::context> tls;  // set when a certificate and key are configured

  // With one IO thread, bids read in one turn of the event loop go to the pipeline together
  // (one wake-up of the core instead of one per bid). IO thread only.
  void stage(CommandBody body, std::uint64_t origin);
  void flush_staged();
  std::vector<std::pair<CommandBody, std::uint64_t>> staged;
  bool flush_posted = false;
  std::uint64_t next_session_id = 1;
};

// ---------------------------------------------------------------------------------------------
// WebSocket session: the bidder protocol.

template <class NextLayer>
class WsSession : public std::enable_shared_from_this<WsSession<NextLayer>>, public WsSessionBase {
 public:
  WsSession(Server::Impl& server, NextLayer&& stream)
      : server_(server),
        ws_(std::move(stream)),
        limits_(server.options.limits),
        bids_(limits_.bids_per_second, limits_.bid_burst),
        messages_(limits_.messages_per_second, limits_.message_burst) {
    server_.metrics.connections_open.fetch_add(1);
  }

  void run(http::request<http::string_body> request) {
    id_ = server_.register_session(this->shared_from_this());
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = limits_.handshake_timeout;
    timeouts.idle_timeout = limits_.idle_timeout;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.read_message_max(limits_.max_frame_bytes);
    ws_.text(true);
    ws_.async_accept(request,
                     beast::bind_front_handler(&WsSession::on_accept, this->shared_from_this()));
  }

  ~WsSession() override {
    server_.unregister_session(id_);
    server_.metrics.connections_open.fetch_sub(1);
  }

  // Subscriber: any thread.
  void deliver(const Frame& frame) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), frame] { self->send(frame); });
  }
  UserId viewer() const override {
    std::lock_guard lock(user_mutex_);
    return user_;
  }
  void close_revoked() override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this()] {
      self->close(websocket::close_code::policy_error, "token revoked");
    });
  }

  // The durable answer to a request (any thread).
  void answer(std::uint32_t slot, Seq seq, std::vector<Event> events) override {
    asio::post(ws_.get_executor(),
               [self = this->shared_from_this(), slot, seq, events = std::move(events)] {
                 self->on_answer(slot, seq, events);
               });
  }
  void answer_now(std::uint32_t slot, Seq seq, std::span<const Event> events) override {
    on_answer(slot, seq, events);
  }
  void refuse(std::uint32_t slot) override {
    asio::post(ws_.get_executor(),
               [self = this->shared_from_this(), slot] { self->on_refused(slot); });
  }

 private:
  struct Pending {
    bool used = false;
    RequestType type = RequestType::ping;
    std::optional<std::string> id;
    LotId lot;
    AmountMinor amount_minor = 0;
  };

  void on_accept(beast::error_code ec) {
    if (ec) return;
    do_read();
  }

  void do_read() {
    if (closing_) return;
    ws_.async_read(buffer_,
                   beast::bind_front_handler(&WsSession::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == websocket::error::message_too_big) {
      // Beast has already failed the connection with close code 1009 and torn it down
      // gracefully; closing the socket here as well would turn that into a reset.
      server_.metrics.closed_too_big.fetch_add(1);
      closing_ = true;
      server_.board.unsubscribe_all(this);
      return;
    }
    if (ec) return finish();
    server_.metrics.frames_in.fetch_add(1);
    const auto data = buffer_.cdata();
    handle(std::string_view(static_cast<const char*>(data.data()), data.size()), ws_.got_text());
    buffer_.consume(buffer_.size());
    do_read();
  }

  void handle(std::string_view text, bool is_text) {
    Request request;
    std::optional<ProtocolError> problem;
    if (is_text) {
      frame_.assign(text);
      problem = decode_request(frame_, request);
    } else {
      // SPEC §7: one JSON object per text frame. A binary frame is a bad message, not abuse.
      problem = ProtocolError{"bad_request", "send JSON in text frames", std::nullopt};
    }
    // Decoding is cheap; the work a request asks for may not be. Every message, malformed ones
    // included, counts against the rate. Over it, a bid still gets its one answer (`rejected`,
    // SPEC §4), anything else an `error`, both with the request's id.
    if (!messages_.take()) {
      server_.metrics.messages_rate_limited.fetch_add(1);
      if (!problem && request.type == RequestType::bid) {
        send_text(rejected_message(request, "rate_limited", board_min_next(request.lot)));
      } else {
        send_text(
            error_message("rate_limited", "too many messages", problem ? problem->id : request.id));
      }
      over_limit();
      return;
    }
    if (problem) {
      server_.metrics.bad_requests.fetch_add(1);
      return send_text(error_message(problem->code, problem->message, problem->id));
    }
    if (request.type != RequestType::bid) rate_limited_in_row_ = 0;  // "in a row" means in a row
    const TimeMs now_ms = wall_ms();
    switch (request.type) {
      case RequestType::ping:
        return send_text(simple_message("pong", request.id));
      case RequestType::login:
        if (!server_.accounts.verify(request.user, request.token)) {
          return send_text(error_message("auth_failed", "unknown user or wrong token", request.id));
        } else {
          std::lock_guard lock(user_mutex_);
          user_ = request.user;
        }
        return send_text(simple_message("login_ok", request.id, "user", request.user.view()));
      case RequestType::lots:
        return send_text(server_.board.lots_message(request.id, now_ms));
      case RequestType::subscribe: {
        auto snapshot =
            server_.board.subscribe(request.lot, this->shared_from_this(), request.id, now_ms);
        if (!snapshot) return send_text(error_message("unknown_lot", "no such lot", request.id));
        return send_text(std::move(*snapshot));
      }
      case RequestType::unsubscribe:
        server_.board.unsubscribe(request.lot, this);
        return send_text(simple_message("unsubscribed", request.id, "lot", request.lot.view()));
      case RequestType::bid:
        return handle_bid(request);
      case RequestType::register_lot:
        return handle_register(request);
      case RequestType::orders:
        return handle_orders(request);
      case RequestType::pay:
      case RequestType::confirm_receipt:
      case RequestType::dispute:
        return handle_order_request(request);
    }
  }

  bool logged_in() const {
    std::lock_guard lock(user_mutex_);
    return !user_.empty();
  }

  std::string rejected_message(const Request& request, std::string_view code,
                               std::optional<AmountMinor> min_next) {
    std::string out;
    JsonWriter w(out);
    w.begin_object().field("type", "rejected").field("ts", wall_ms());
    if (request.id) w.field("id", *request.id);
    w.field("lot", request.lot.view());
    if (request.amount_valid) {
      w.field("amount", request.amount_minor);
    } else {
      w.field_raw("amount", request.amount_json.empty() ? "null" : request.amount_json);
    }
    w.field("code", code).field("min_next", min_next).end_object();
    return out;
  }

  std::optional<AmountMinor> board_min_next(const LotId& lot) const {
    const auto view = server_.board.find(lot);
    return view ? view->min_next_minor() : std::nullopt;
  }

  // Rate-limited requests in a row beyond the limit are abuse: close 1008.
  bool over_limit() {
    if (++rate_limited_in_row_ < limits_.abuse_rejections) return false;
    server_.metrics.closed_abuse.fetch_add(1);
    close(websocket::close_code::policy_error, "flooding");
    return true;
  }

  void handle_bid(const Request& request) {
    server_.metrics.bids_in.fetch_add(1);
    if (!logged_in()) return send_text(error_message("not_logged_in", "log in to bid", request.id));
    if (!request.amount_valid) {
      server_.metrics.bids_rejected.fetch_add(1);
      return send_text(rejected_message(request, "invalid_amount", board_min_next(request.lot)));
    }
    if (!bids_.take()) {
      server_.metrics.bids_rate_limited.fetch_add(1);
      send_text(rejected_message(request, "rate_limited", board_min_next(request.lot)));
      over_limit();
      return;
    }
    rate_limited_in_row_ = 0;
    const auto slot = take_slot(request);
    if (!slot) {
      server_.metrics.bids_unavailable.fetch_add(1);
      return send_text(rejected_message(request, "rate_limited", board_min_next(request.lot)));
    }
    const std::uint64_t origin = (id_ << kSlotBits) | *slot;
    if (server_.options.io_threads <= 1) {
      return server_.stage(PlaceBid{request.lot, viewer(), request.amount_minor}, origin);
    }
    if (!server_.commands.submit(PlaceBid{request.lot, viewer(), request.amount_minor}, origin)) {
      pending_[*slot].used = false;
      --pending_count_;
      server_.metrics.bids_unavailable.fetch_add(1);
      send_text(rejected_message(request, "unavailable", board_min_next(request.lot)));
    }
  }

  void handle_register(const Request& request) {
    if (!logged_in()) {
      return send_text(error_message("not_logged_in", "log in to register", request.id));
    }
    const auto view = server_.board.find(request.lot);
    if (!view) return send_text(error_message("unknown_lot", "no such lot", request.id));
    if (view->config.deposit_minor == 0) {
      return send_text(simple_message("registered", request.id, "lot", request.lot.view()));
    }
    // The deposit is held first (durable), and only then is the bidder qualified (SPEC §6.2).
    settle(request, settlement::Register{viewer(), request.lot});
  }

  void handle_orders(const Request& request) {
    if (!logged_in()) return send_text(error_message("not_logged_in", "log in first", request.id));
    if (server_.settlement == nullptr) return send_text(settlement_off(request));
    const UserId user = viewer();
    std::string out;
    JsonWriter w(out);
    w.begin_object().field("type", "orders").field("ts", wall_ms());
    if (request.id) w.field("id", *request.id);
    w.begin_array("orders");
    for (const settlement::Order& order : server_.settlement->orders(&user)) {
      w.begin_object();
      write_order_fields(w, order);
      w.end_object();
    }
    w.end_array().end_object();
    send_text(std::move(out));
  }

  void handle_order_request(const Request& request) {
    if (!logged_in()) return send_text(error_message("not_logged_in", "log in first", request.id));
    const LotId order = *LotId::parse(request.order);  // checked by the decoder
    if (request.type == RequestType::pay) return settle(request, settlement::Pay{viewer(), order});
    if (request.type == RequestType::confirm_receipt) {
      return settle(request, settlement::ConfirmReceipt{viewer(), order});
    }
    settle(request, settlement::OpenDispute{viewer(), order, request.reason});
  }

  std::string settlement_off(const Request& request) {
    return error_message("unavailable", "settlement is not enabled on this server", request.id);
  }

  // Hands a settlement input over; its answer comes back to this session's executor.
  void settle(const Request& request, settlement::InputBody input) {
    if (server_.settlement == nullptr) return send_text(settlement_off(request));
    if (settling_ >= limits_.max_pending_answers) {
      return send_text(error_message("rate_limited", "too many requests in flight", request.id));
    }
    ++settling_;
    auto done = [self = this->shared_from_this(), request](const settlement::Answer& answer) {
      asio::post(self->ws_.get_executor(),
                 [self, request, answer] { self->on_settled(request, answer); });
    };
    if (!server_.settlement->submit(std::move(input), std::move(done))) {
      --settling_;
      send_text(error_message("unavailable", "settlement cannot take requests now", request.id));
    }
  }

  void on_settled(const Request& request, const settlement::Answer& answer) {
    --settling_;
    if (!answer.ok()) {
      return send_text(
          error_message(settlement::settle_error_name(answer.error), answer.message, request.id));
    }
    if (request.type == RequestType::register_lot) return qualify(request, answer.held_minor);
    std::string out;
    JsonWriter w(out);
    w.begin_object().field("type", "order").field("ts", wall_ms());
    if (request.id) w.field("id", *request.id);
    if (answer.order) write_order_fields(w, *answer.order);
    w.end_object();
    send_text(std::move(out));
  }

  // The deposit is held: the engine qualifies the bidder; `registered` once that is journaled.
  void qualify(const Request& request, AmountMinor held_minor) {
    Request pending = request;
    pending.amount_minor = held_minor;
    const auto slot = take_slot(pending);
    const auto unavailable = [&] {
      send_text(error_message("unavailable",
                              "the deposit is held; register again to be "
                              "qualified",
                              request.id));
    };
    if (!slot) return unavailable();
    const std::uint64_t origin = (id_ << kSlotBits) | *slot;
    if (!server_.commands.submit(QualifyBidder{request.lot, viewer(), QualifySource::deposit_held},
                                 origin)) {
      pending_[*slot].used = false;
      --pending_count_;
      unavailable();
    }
  }

  // Slots for requests awaiting durability: grown on demand (an idle connection holds none),
  // never past the limit; indices stay stable because slots are only ever appended.
  std::optional<std::uint32_t> take_slot(const Request& request) {
    const Pending entry{true, request.type, request.id, request.lot, request.amount_minor};
    if (pending_count_ < pending_.size()) {
      for (std::size_t n = 0; n < pending_.size(); ++n) {
        const std::uint32_t slot = next_slot_;
        next_slot_ = static_cast<std::uint32_t>((next_slot_ + 1) % pending_.size());
        if (!pending_[slot].used) {
          pending_[slot] = entry;
          ++pending_count_;
          return slot;
        }
      }
    }
    if (pending_.size() >= limits_.max_pending_answers) return std::nullopt;
    pending_.push_back(entry);
    ++pending_count_;
    return static_cast<std::uint32_t>(pending_.size() - 1);
  }

  void on_answer(std::uint32_t slot, Seq seq, std::span<const Event> events) {
    if (slot >= pending_.size() || !pending_[slot].used) return;
    Pending pending = std::move(pending_[slot]);
    pending_[slot].used = false;
    --pending_count_;
    if (pending.type == RequestType::register_lot) return on_qualified(pending, events);
    for (const Event& event : events) {
      if (const auto* accepted = std::get_if<BidAccepted>(&event.body)) {
        server_.metrics.bids_accepted.fetch_add(1);
        std::string out;
        JsonWriter w(out);
        w.begin_object().field("type", "accepted").field("ts", wall_ms());
        if (pending.id) w.field("id", *pending.id);
        w.field("lot", accepted->lot.view())
            .field("amount", accepted->amount_minor)
            .field("seq", static_cast<std::int64_t>(seq))
            .field("deadline_ms", accepted->deadline_ms)
            .field("min_next", std::optional<std::int64_t>(accepted->min_next_minor))
            .end_object();
        return send_text(std::move(out));
      }
      if (const auto* rejected = std::get_if<BidRejected>(&event.body)) {
        server_.metrics.bids_rejected.fetch_add(1);
        Request echo;
        echo.id = pending.id;
        echo.lot = rejected->lot;
        echo.amount_valid = true;
        echo.amount_minor = rejected->amount_minor;
        return send_text(
            rejected_message(echo, reject_code_name(rejected->code), rejected->min_next_minor));
      }
    }
  }

  void on_qualified(const Pending& pending, std::span<const Event> events) {
    for (const Event& event : events) {
      if (const auto* refused = std::get_if<CommandRejected>(&event.body)) {
        return send_text(
            error_message(command_error_name(refused->error), refused->message, pending.id));
      }
      if (std::holds_alternative<BidderQualified>(event.body)) {
        std::string out;
        JsonWriter w(out);
        w.begin_object().field("type", "registered").field("ts", wall_ms());
        if (pending.id) w.field("id", *pending.id);
        w.field("lot", pending.lot.view()).field("deposit", pending.amount_minor).end_object();
        return send_text(std::move(out));
      }
    }
  }

  void on_refused(std::uint32_t slot) {
    if (slot >= pending_.size() || !pending_[slot].used) return;
    Pending pending = std::move(pending_[slot]);
    pending_[slot].used = false;
    --pending_count_;
    if (pending.type == RequestType::register_lot) {
      return send_text(error_message(
          "unavailable", "the deposit is held; register again to be qualified", pending.id));
    }
    server_.metrics.bids_unavailable.fetch_add(1);
    Request echo;
    echo.id = pending.id;
    echo.lot = pending.lot;
    echo.amount_valid = true;
    echo.amount_minor = pending.amount_minor;
    send_text(rejected_message(echo, "unavailable", board_min_next(pending.lot)));
  }

  void send_text(std::string text) { send(std::make_shared<const std::string>(std::move(text))); }

  // Queues a frame; a client that lets its queue grow past the limit is disconnected.
  void send(const Frame& frame) {
    if (closing_) return;  // frames queued before close() are still flushed
    if (outbound_bytes_ + frame->size() > limits_.max_outbound_bytes) {
      server_.metrics.closed_slow_reader.fetch_add(1);
      // Drop what was never started; the frame being written must outlive its write.
      outbound_.erase(outbound_.begin() + (writing_ ? 1 : 0), outbound_.end());
      outbound_bytes_ = outbound_.empty() ? 0 : outbound_.front()->size();
      return close(websocket::close_code::policy_error, "not reading");
    }
    outbound_bytes_ += frame->size();
    outbound_.push_back(frame);
    if (!writing_) do_write();
  }

  void do_write() {
    writing_ = true;
    ws_.async_write(asio::buffer(*outbound_.front()),
                    beast::bind_front_handler(&WsSession::on_write, this->shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (ec) return finish();
    server_.metrics.frames_out.fetch_add(1);
    outbound_bytes_ -= outbound_.front()->size();
    outbound_.pop_front();
    if (!outbound_.empty()) return do_write();
    if (close_code_) do_close();
  }

  // Closes after the frames already queued (e.g. the rate_limited answers) have been sent.
  void close(websocket::close_code code, const char* reason) {
    if (closing_) return;
    closing_ = true;
    close_code_ = code;
    close_reason_ = reason;
    server_.board.unsubscribe_all(this);
    // A client that does not read may never let anything out: bound the wait.
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(2));
    if (!writing_) do_close();
  }

  void do_close() {
    ws_.async_close(websocket::close_reason(*close_code_, close_reason_),
                    [self = this->shared_from_this()](beast::error_code) { self->finish(); });
  }

  void finish() {
    closing_ = true;
    server_.board.unsubscribe_all(this);
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  Server::Impl& server_;
  websocket::stream<NextLayer> ws_;
  const ServerLimits& limits_;
  beast::flat_buffer buffer_;
  PaddedFrame frame_;
  std::uint64_t id_ = 0;
  mutable std::mutex user_mutex_;
  UserId user_;
  TokenBucket bids_;
  TokenBucket messages_;
  std::uint32_t rate_limited_in_row_ = 0;
  std::size_t settling_ = 0;  // settlement requests awaiting their answer
  std::vector<Pending> pending_;
  std::size_t pending_count_ = 0;
  std::uint32_t next_slot_ = 0;
  std::deque<Frame> outbound_;
  std::size_t outbound_bytes_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  std::optional<websocket::close_code> close_code_;
  const char* close_reason_ = "";
};

// ---------------------------------------------------------------------------------------------
// HTTP session: health, metrics, the page, and the upgrade to WebSocket.

template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  // `buffer` holds what was read while detecting TLS.
  HttpSession(Server::Impl& server, beast::tcp_stream&& stream,
              beast::flat_buffer&& buffer) requires(!kTls)
      : server_(server), stream_(std::move(stream)), buffer_(std::move(buffer)) {
    server_.metrics.connections_open.fetch_add(1);
  }
  HttpSession(Server::Impl& server, beast::tcp_stream&& stream,
              beast::flat_buffer&& buffer) requires(kTls)
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
      std::make_shared<WsSession<Stream>>(server_, std::move(stream_))->run(std::move(request));
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
      const bool healthy = !server_.status.healthy || server_.status.healthy();
      response->result(healthy ? http::status::ok : http::status::service_unavailable);
      response->set(http::field::content_type, "application/json");
      std::string body;
      JsonWriter w(body);
      w.begin_object()
          .field("status", healthy ? "ok" : "degraded")
          .field("lots", static_cast<std::uint64_t>(server_.board.lot_count()))
          .field("connections", server_.metrics.connections_open.load())
          .end_object();
      response->body() = body + "\n";
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
// else to plain HTTP, so one port serves http/ws and https/wss.
class DetectSession : public std::enable_shared_from_this<DetectSession> {
 public:
  DetectSession(Server::Impl& server, tcp::socket&& socket)
      : server_(server), stream_(std::move(socket)) {}

  void run() {
    stream_.expires_after(server_.options.limits.handshake_timeout);
    beast::async_detect_ssl(
        stream_, buffer_, beast::bind_front_handler(&DetectSession::on_detect, shared_from_this()));
  }

 private:
  void on_detect(beast::error_code ec, bool tls) {
    if (ec) return;
    if (tls) {
      std::make_shared<HttpSession<TlsStream>>(server_, std::move(stream_), std::move(buffer_))
          ->run();
    } else {
      std::make_shared<HttpSession<beast::tcp_stream>>(server_, std::move(stream_),
                                                       std::move(buffer_))
          ->run();
    }
  }

  Server::Impl& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

// ---------------------------------------------------------------------------------------------
// Listener and the server's public face.

void Server::Impl::do_accept() {
  const auto handler = [this](beast::error_code ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  };
  // One IO thread needs no strands: every session runs on the io_context's only thread, which
  // lets answer_all() hand a whole batch over in one post.
  if (options.io_threads <= 1) {
    acceptor.async_accept(io, handler);
  } else {
    acceptor.async_accept(asio::make_strand(io), handler);
  }
}

void Server::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (stopping.load()) return;
  if (!ec) {
    if (metrics.connections_open.load() >= options.limits.max_connections) {
      metrics.connections_refused.fetch_add(1);
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      metrics.connections_total.fetch_add(1);
      // Answers are small and latency matters: never hold one back waiting for an ACK (Nagle).
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      if (tls) {
        std::make_shared<DetectSession>(*this, std::move(socket))->run();
      } else {
        std::make_shared<HttpSession<beast::tcp_stream>>(
            *this, beast::tcp_stream(std::move(socket)), beast::flat_buffer{})
            ->run();
      }
    }
  }
  do_accept();
}

void Server::Impl::stage(CommandBody body, std::uint64_t origin) {
  staged.emplace_back(std::move(body), origin);
  if (flush_posted) return;
  flush_posted = true;
  asio::post(io, [this] { flush_staged(); });  // after the handlers already ready to run
}

void Server::Impl::flush_staged() {
  flush_posted = false;
  thread_local std::vector<std::uint64_t> refused;
  refused.clear();
  commands.submit_all(staged, refused);
  for (const std::uint64_t origin : refused) {
    if (auto session = find_session(origin >> kSlotBits)) {
      session->refuse(static_cast<std::uint32_t>(origin & kSlotMask));
    }
  }
  staged.clear();
}

std::uint64_t Server::Impl::register_session(const std::shared_ptr<WsSessionBase>& session) {
  std::unique_lock lock(sessions_mutex);
  const std::uint64_t id = next_session_id++;
  sessions.emplace(id, session);
  return id;
}

void Server::Impl::unregister_session(std::uint64_t id) {
  std::unique_lock lock(sessions_mutex);
  sessions.erase(id);
}

std::shared_ptr<WsSessionBase> Server::Impl::find_session(std::uint64_t id) {
  std::shared_lock lock(sessions_mutex);
  const auto found = sessions.find(id);
  return found == sessions.end() ? nullptr : found->second.lock();
}

std::string Server::Impl::metrics_text() const {
  std::string out;
  const auto line = [&](const char* name, const char* help, std::uint64_t value,
                        const char* type = "counter") {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + std::to_string(value) + "\n";
  };
  line("auction_connections_total", "Connections accepted.", metrics.connections_total.load());
  line("auction_connections_open", "Connections open now.", metrics.connections_open.load(),
       "gauge");
  line("auction_connections_refused_total", "Connections refused at the limit.",
       metrics.connections_refused.load());
  line("auction_frames_in_total", "WebSocket frames received.", metrics.frames_in.load());
  line("auction_frames_out_total", "WebSocket frames sent.", metrics.frames_out.load());
  line("auction_bad_requests_total", "Frames answered with an error.", metrics.bad_requests.load());
  line("auction_bids_total", "Bids received.", metrics.bids_in.load());
  line("auction_bids_accepted_total", "Bids accepted (durable).", metrics.bids_accepted.load());
  line("auction_bids_rejected_total", "Bids rejected.", metrics.bids_rejected.load());
  line("auction_bids_rate_limited_total", "Bids over the connection's rate.",
       metrics.bids_rate_limited.load());
  line("auction_bids_unavailable_total", "Bids refused as unavailable.",
       metrics.bids_unavailable.load());
  line("auction_messages_rate_limited_total", "Messages over the connection's message rate.",
       metrics.messages_rate_limited.load());
  line("auction_closed_too_big_total", "Connections closed for an oversized frame (1009).",
       metrics.closed_too_big.load());
  line("auction_closed_abuse_total", "Connections closed for a bid flood (1008).",
       metrics.closed_abuse.load());
  line("auction_closed_slow_reader_total", "Connections closed for not reading (1008).",
       metrics.closed_slow_reader.load());
  line("auction_subscriptions", "Lot subscriptions now.", board.subscriber_count(), "gauge");
  if (status.metrics_text) out += status.metrics_text();
  return out;
}

Server::Server(ServerOptions options, LotBoard& board, CommandPort& commands,
               const Accounts& accounts, StatusSource status, SettlementPort* settlement)
    : impl_(std::make_unique<Impl>(std::move(options), board, commands, accounts, std::move(status),
                                   settlement)) {}

Server::~Server() {
  stop();
}

void Server::start() {
  Impl& impl = *impl_;
  if (!impl.options.tls_certificate_file.empty() || !impl.options.tls_private_key_file.empty()) {
    // Throws with OpenSSL's reason when a file is missing or does not match.
    impl.tls.emplace(asio::ssl::context::tls_server);
    impl.tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                          asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                          asio::ssl::context::no_tlsv1_1);
    impl.tls->use_certificate_chain_file(impl.options.tls_certificate_file);
    impl.tls->use_private_key_file(impl.options.tls_private_key_file, asio::ssl::context::pem);
  }
  listen_on(impl.acceptor, impl.options.address, impl.options.port);
  impl.do_accept();
  for (unsigned i = 0; i < std::max(1u, impl.options.io_threads); ++i) {
    impl.threads.emplace_back([&impl] { impl.io.run(); });
  }
}

void Server::stop() {
  Impl& impl = *impl_;
  if (impl.threads.empty()) return;
  impl.stopping.store(true);
  asio::post(impl.io, [&impl] {
    beast::error_code ignored;
    impl.acceptor.close(ignored);
  });
  impl.io.stop();
  for (std::thread& t : impl.threads)
    t.join();
  impl.threads.clear();
}

std::uint16_t Server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void Server::answer(std::uint64_t origin, Seq seq, std::span<const Event> events) {
  if (auto session = impl_->find_session(origin >> kSlotBits)) {
    session->answer(static_cast<std::uint32_t>(origin & kSlotMask), seq,
                    std::vector<Event>(events.begin(), events.end()));
  }
}

void Server::answer_all(std::span<const Answer> answers) {
  Impl& impl = *impl_;
  if (impl.options.io_threads > 1) {
    for (const Answer& a : answers)
      answer(a.origin, a.seq, a.events);
    return;
  }
  struct Item {
    std::shared_ptr<WsSessionBase> session;
    std::uint32_t slot;
    Seq seq;
    std::size_t first, count;
  };
  struct Batch {
    std::vector<Item> items;
    std::vector<Event> events;
  };
  auto batch = std::make_shared<Batch>();
  batch->items.reserve(answers.size());
  {
    std::shared_lock lock(impl.sessions_mutex);
    for (const Answer& a : answers) {
      const auto found = impl.sessions.find(a.origin >> kSlotBits);
      if (found == impl.sessions.end()) continue;
      auto session = found->second.lock();
      if (!session) continue;
      batch->items.push_back(Item{std::move(session),
                                  static_cast<std::uint32_t>(a.origin & kSlotMask), a.seq,
                                  batch->events.size(), a.events.size()});
      batch->events.insert(batch->events.end(), a.events.begin(), a.events.end());
    }
  }
  if (batch->items.empty()) return;
  asio::post(impl.io, [batch] {
    for (const Item& item : batch->items) {
      item.session->answer_now(
          item.slot, item.seq,
          std::span<const Event>(batch->events.data() + item.first, item.count));
    }
  });
}

void Server::disconnect_user(const UserId& user) {
  std::shared_lock lock(impl_->sessions_mutex);
  for (const auto& [id, weak] : impl_->sessions) {
    const auto session = weak.lock();
    if (session && session->viewer() == user) session->close_revoked();
  }
}

void Server::notify_orders(std::span<const settlement::Order> orders) {
  Impl& impl = *impl_;
  for (const settlement::Order& order : orders) {
    std::string out;
    JsonWriter w(out);
    w.begin_object().field("type", "order").field("ts", wall_ms());
    write_order_fields(w, order);
    w.end_object();
    const Frame frame = std::make_shared<const std::string>(std::move(out));
    // Order updates are rare (a few per sale): one pass over the sessions is affordable.
    std::shared_lock lock(impl.sessions_mutex);
    for (const auto& [id, weak] : impl.sessions) {
      const auto session = weak.lock();
      if (!session) continue;
      const UserId viewer = session->viewer();
      if (viewer == order.buyer || viewer == order.seller) session->deliver(frame);
    }
  }
}

void Server::refuse(std::uint64_t origin) {
  if (auto session = impl_->find_session(origin >> kSlotBits)) {
    session->refuse(static_cast<std::uint32_t>(origin & kSlotMask));
  }
}

}  // namespace auction::gateway
