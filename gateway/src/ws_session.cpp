// WsSession: a bidder's WebSocket connection (plain or TLS) — reading frames, the write queue
// with its limit, and closing. What a frame asks for is BidderDispatcher's.
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <deque>

#include "bidder_dispatcher.h"

namespace auction::gateway {
namespace {

namespace websocket = beast::websocket;

// How long a client may pause while the rest of its oversized message is being discarded: one
// that announced more than it sends gets its 1009 after this.
constexpr std::chrono::milliseconds kDiscardPatience{250};
// How long a close may wait for the frames queued before it (a client that does not read may
// never let them out): then the socket is closed.
constexpr std::chrono::milliseconds kCloseDeadline{2'000};

template <class NextLayer>
class WsSession : public BidderDispatcher {
 public:
  WsSession(Server::Impl& server, NextLayer&& stream)
      : BidderDispatcher(server),
        ws_(std::move(stream)),
        limits_(server.options.limits),
        timer_(ws_.get_executor()) {
    server_.metrics.connections_open.fetch_add(1);
  }
  ~WsSession() override { server_.metrics.connections_open.fetch_sub(1); }

  void run(HttpRequest request) {
    registered_as(server_.register_session(shared_from_this()));
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = limits_.handshake_timeout;
    timeouts.idle_timeout = limits_.idle_timeout;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    // The limit is ours (on_read_some): Beast failing the stream itself would close with unread
    // data, which resets the connection before the client reads the 1009.
    ws_.read_message_max(0);
    ws_.text(true);
    ws_.async_accept(request, beast::bind_front_handler(&WsSession::on_accept, shared()));
  }

 protected:
  void post(std::function<void()> task) override {
    asio::post(ws_.get_executor(), [self = shared(), task = std::move(task)] { task(); });
  }
  void close_policy(const char* reason) override {
    close(websocket::close_code::policy_error, reason);
  }

  // Queues a frame; a client that lets its queue grow past the limit is disconnected.
  void send(const Frame& frame) override {
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
    queue_changed(outbound_.size());
    if (!writing_) do_write();
  }

 private:
  std::shared_ptr<WsSession> shared() {
    return std::static_pointer_cast<WsSession>(shared_from_this());
  }

  void on_accept(beast::error_code ec) {
    if (ec) return;
    do_read();
  }

  // Reads at most a frame's limit at a time: a message is whole once is_message_done().
  void do_read() {
    if (closing_) return;
    ws_.async_read_some(buffer_, limits_.max_frame_bytes + 1,
                        beast::bind_front_handler(&WsSession::on_read_some, shared()));
  }

  void on_read_some(beast::error_code ec, std::size_t bytes) {
    if (ec) return finish();
    message_bytes_ += bytes;
    if (message_bytes_ > limits_.max_frame_bytes) {
      // Too big: the rest is read and dropped (bounded), then 1009 in a proper closing
      // handshake the client can read.
      buffer_.consume(buffer_.size());
      if (message_bytes_ > limits_.max_frame_bytes + limits_.max_discard_bytes ||
          ws_.is_message_done()) {
        return close_too_big();
      }
      timer_.expires_after(kDiscardPatience);  // renewed while the client keeps sending
      timer_.async_wait([self = shared()](beast::error_code timer_ec) {
        if (!timer_ec) self->close_too_big();
      });
      return do_read();
    }
    if (!ws_.is_message_done()) return do_read();
    message_bytes_ = 0;
    on_message();
  }

  void close_too_big() {
    if (closing_) return;
    server_.metrics.closed_too_big.fetch_add(1);
    close(websocket::close_code::too_big, "message too big");
  }

  void on_message() {
    server_.metrics.frames_in.fetch_add(1);
    const auto data = buffer_.cdata();
    const std::string_view text(static_cast<const char*>(data.data()), data.size());
    Request request;
    std::optional<ProtocolError> problem;
    if (ws_.got_text()) {
      frame_.assign(text);
      problem = decode_request(frame_, request);
    } else {
      // SPEC §7: one JSON object per text frame. A binary frame is a bad message, not abuse.
      problem = ProtocolError{"bad_request", "send JSON in text frames", std::nullopt};
    }
    handle(request, problem);
    buffer_.consume(buffer_.size());
    do_read();
  }

  void do_write() {
    writing_ = true;
    ws_.async_write(asio::buffer(*outbound_.front()),
                    beast::bind_front_handler(&WsSession::on_write, shared()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (ec) return finish();
    server_.metrics.frames_out.fetch_add(1);
    outbound_bytes_ -= outbound_.front()->size();
    outbound_.pop_front();
    if (!outbound_.empty()) {
      queue_changed(outbound_.size());
      return do_write();
    }
    queue_changed(0);  // a subscriber that fell behind resyncs now: send() may start a write
    if (writing_) return;
    if (close_code_) do_close();
  }

  // Closes after the frames already queued (e.g. the rate_limited answers) have been sent.
  void close(websocket::close_code code, const char* reason) {
    if (closing_) return;
    closing_ = true;
    close_code_ = code;
    close_reason_ = reason;
    server_.board.unsubscribe_all(this);
    // A client that does not read may never let anything out: bound the wait with a timer of
    // ours. (The stream's own expiry neither reaches a write already under way nor may be set
    // while a read and a write are both pending: Beast asserts it.)
    timer_.expires_after(kCloseDeadline);
    timer_.async_wait([self = shared()](beast::error_code ec) {
      if (!ec) self->finish();
    });
    if (!writing_) do_close();
  }

  void do_close() {
    ws_.async_close(websocket::close_reason(*close_code_, close_reason_),
                    [self = shared()](beast::error_code) { self->finish(); });
  }

  void finish() {
    closing_ = true;
    timer_.cancel();
    server_.board.unsubscribe_all(this);
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  websocket::stream<NextLayer> ws_;
  const ServerLimits& limits_;
  beast::flat_buffer buffer_;
  std::size_t message_bytes_ = 0;  // of the message being read
  asio::steady_timer timer_;       // the discard's patience, then the close's deadline
  PaddedFrame frame_;
  std::deque<Frame> outbound_;
  std::size_t outbound_bytes_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  std::optional<websocket::close_code> close_code_;
  const char* close_reason_ = "";
};

template <class NextLayer>
void start_session(Server::Impl& server, NextLayer&& stream, HttpRequest&& request) {
  std::make_shared<WsSession<NextLayer>>(server, std::move(stream))->run(std::move(request));
}

}  // namespace

void start_ws_session(Server::Impl& server, beast::tcp_stream&& stream, HttpRequest&& request) {
  start_session(server, std::move(stream), std::move(request));
}

void start_wss_session(Server::Impl& server, beast::ssl_stream<beast::tcp_stream>&& stream,
                       HttpRequest&& request) {
  start_session(server, std::move(stream), std::move(request));
}

}  // namespace auction::gateway
