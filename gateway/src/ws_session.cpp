// WsSession: a bidder's WebSocket connection (plain or TLS) — reading frames, the write queue
// with its limit, and closing. What a frame asks for is BidderDispatcher's.
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <algorithm>
#include <array>
#include <vector>

#include "bidder_dispatcher.h"
#include "outbound_queue.h"
#include "write_gate.h"

namespace auction::gateway {
namespace {

namespace websocket = beast::websocket;

// How long a client may pause while the rest of its oversized message is being discarded: one
// that announced more than it sends gets its 1009 after this.
constexpr std::chrono::milliseconds kDiscardPatience{250};
// How long a close may wait for the frames queued before it (a client that does not read may
// never let them out): then the socket is closed.
constexpr std::chrono::milliseconds kCloseDeadline{2'000};
// The keep-alive looks at a connection this many times per idle timeout: one silent for more than
// half the timeout gets a ping, one silent for more than all of it is closed, each within one
// look's length (60 s: a ping after 30–37.5 s, closed after 60–67.5 s).
constexpr int kKeepaliveLooks = 8;
// The most frames one send carries (its iovec holds a header and a payload each); a longer queue
// leaves in several sends.
constexpr std::size_t kBatchFrames = 32;

template <class NextLayer>
class WsSession : public BidderDispatcher {
 public:
  WsSession(Server::Impl& server, NextLayer&& stream)
      : BidderDispatcher(server, server.lane_of(stream.get_executor())),
        ws_(std::move(stream)),
        limits_(server.options.limits),
        timer_(ws_.get_executor()),
        keepalive_timer_(ws_.get_executor()) {
    server_.metrics.connections_open.fetch_add(1);
    batch_.reserve(2 * kBatchFrames);
  }
  ~WsSession() override { server_.metrics.connections_open.fetch_sub(1); }

  void run(HttpRequest request) {
    registered_as(server_.register_session(shared_from_this()));
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = limits_.handshake_timeout;
    // The idle timeout is ours (on_keepalive): Beast's re-arms a timer at every frame read, a
    // cancelled wait and two timer-queue operations per bid.
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws_.set_option(timeouts);
    ws_.control_callback([this](websocket::frame_type, beast::string_view) { silent_looks_ = 0; });
    // The limit is ours (on_read_some): Beast failing the stream itself would close with unread
    // data, which resets the connection before the client reads the 1009.
    ws_.read_message_max(0);
    ws_.text(true);
    // A write of Beast's (a pong, a keep-alive ping) held the gate: the queue may go now.
    ws_.next_layer().on_idle([weak = weak_from_this()] {
      if (auto self = weak.lock()) std::static_pointer_cast<WsSession>(self)->do_write();
    });
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
  void enqueue(const Frame& frame) override {
    if (!admit(frame->size())) return;
    outbound_.push(frame);
    queue_changed(outbound_.size());
  }
  void enqueue(std::string&& text) override {
    if (!admit(text.size())) return;
    outbound_.push(std::move(text));
    queue_changed(outbound_.size());
  }
  std::string spare_text() override { return outbound_.take_spare(); }
  void start_sending() override { do_write(); }
  // A send is written at once when the socket takes it (WriteGate::write_batch), so an answer
  // sent at once would leave alone; posted, the answers queued by the same handler go with it.
  void start_sending_soon() override {
    if (send_posted_) return;
    send_posted_ = true;
    asio::post(ws_.get_executor(), [self = shared()] {
      self->send_posted_ = false;
      self->do_write();
    });
  }

 private:
  std::shared_ptr<WsSession> shared() {
    return std::static_pointer_cast<WsSession>(shared_from_this());
  }

  // Whether a frame of `bytes` may join the queue: not once closing (frames queued before close()
  // are still flushed), nor past the limit, where the client is disconnected instead.
  bool admit(std::size_t bytes) {
    if (closing_) return false;
    if (outbound_.bytes() + bytes <= limits_.max_outbound_bytes) return true;
    server_.metrics.closed_slow_reader.fetch_add(1);
    outbound_.truncate(writing_frames_);  // the frames being written must outlive their write
    close(websocket::close_code::policy_error, "not reading");
    return false;
  }

  void on_accept(beast::error_code ec) {
    if (ec) return;
    do_keepalive();
    do_read();
  }

  // Any frame resets the count (on_read_some, the control callback).
  void do_keepalive() {
    keepalive_timer_.expires_after(limits_.idle_timeout / kKeepaliveLooks);
    keepalive_timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
      if (auto self = weak.lock(); self && !ec)
        std::static_pointer_cast<WsSession>(self)->on_keepalive();
    });
  }

  void on_keepalive() {
    if (closing_) return;
    // The first silent look may come just after the last frame: it counts no time.
    ++silent_looks_;
    if (silent_looks_ > kKeepaliveLooks) return finish();  // as Beast's timeout: no close frame
    // One ping at a time: one a client has not let out yet is not followed by another.
    if (silent_looks_ == kKeepaliveLooks / 2 + 1 && !ping_pending_) {
      ping_pending_ = true;
      ws_.async_ping({}, [self = shared()](beast::error_code) { self->ping_pending_ = false; });
    }
    do_keepalive();
  }

  // Reads at most a frame's limit at a time: a message is whole once is_message_done().
  void do_read() {
    if (closing_) return;
    ws_.async_read_some(buffer_, limits_.max_frame_bytes + 1,
                        beast::bind_front_handler(&WsSession::on_read_some, shared()));
  }

  void on_read_some(beast::error_code ec, std::size_t bytes) {
    if (ec) return finish();
    silent_looks_ = 0;
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

  // Every queued frame (up to kBatchFrames) leaves in one send, framed here; nothing starts while
  // a write is under way (ours, or one of Beast's: the gate calls back when it is idle).
  // A batch the socket takes at once is done here (no operation, no completion to run); the
  // next batch follows in the loop. Once the queue is out, a close asked for goes.
  void do_write() {
    for (;;) {
      if (writing_frames_ != 0 || close_started_) return;
      if (outbound_.empty()) {
        if (close_code_) do_close();
        return;
      }
      if (ws_.next_layer().busy()) return;
      const std::size_t frames = std::min(outbound_.size(), kBatchFrames);
      batch_.clear();
      for (std::size_t i = 0; i < frames; ++i) {
        const std::string_view text = outbound_.text(i);
        batch_.push_back(
            asio::buffer(headers_[i].data(), encode_frame_header(headers_[i], text.size())));
        batch_.push_back(asio::buffer(text.data(), text.size()));
      }
      writing_frames_ = frames;
      const auto written =
          ws_.next_layer().write_batch(BufferSpan{batch_.data(), batch_.data() + batch_.size()},
                                       [self = shared()](beast::error_code ec) {
                                         if (self->on_written(ec)) self->do_write();
                                       });
      if (!written || !on_written(*written)) return;
    }
  }

  // The batch under way is out (or failed: the connection ends). Whether writing may go on.
  bool on_written(beast::error_code ec) {
    const std::size_t frames = writing_frames_;
    writing_frames_ = 0;
    if (ec) {
      finish();
      return false;
    }
    server_.metrics.frames_out.fetch_add(frames);
    server_.metrics.sends.fetch_add(1);
    for (std::size_t i = 0; i < frames; ++i)
      outbound_.pop();
    queue_changed(outbound_.size());  // emptied: a subscriber that fell behind resyncs (send())
    return true;
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
    do_write();
  }

  void do_close() {
    if (close_started_) return;
    close_started_ = true;
    ws_.async_close(websocket::close_reason(*close_code_, close_reason_),
                    [self = shared()](beast::error_code) { self->finish(); });
  }

  void finish() {
    closing_ = true;
    timer_.cancel();
    keepalive_timer_.cancel();
    server_.board.unsubscribe_all(this);
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  websocket::stream<WriteGate<NextLayer>> ws_;
  const ServerLimits& limits_;
  beast::flat_buffer buffer_;
  std::size_t message_bytes_ = 0;  // of the message being read
  asio::steady_timer timer_;       // the discard's patience, then the close's deadline
  asio::steady_timer keepalive_timer_;
  int silent_looks_ = 0;  // keep-alive looks since a frame was last read
  bool ping_pending_ = false;
  PaddedFrame frame_;
  OutboundQueue outbound_;
  std::size_t writing_frames_ = 0;  // the front of outbound_ under way
  std::array<FrameHeader, kBatchFrames> headers_;
  std::vector<asio::const_buffer> batch_;
  bool closing_ = false;
  bool send_posted_ = false;    // a do_write() is posted (start_sending_soon)
  bool close_started_ = false;  // the close frame is Beast's: nothing of ours follows it
  std::optional<websocket::close_code> close_code_;
  const char* close_reason_ = "";
};

template <class NextLayer>
void start_session(Server::Impl& server, NextLayer&& stream, HttpRequest&& request) {
  std::make_shared<WsSession<NextLayer>>(server, std::move(stream))->run(std::move(request));
}

}  // namespace

void start_ws_session(Server::Impl& server, LaneStream&& stream, HttpRequest&& request) {
  start_session(server, std::move(stream), std::move(request));
}

void start_wss_session(Server::Impl& server, beast::ssl_stream<LaneStream>&& stream,
                       HttpRequest&& request) {
  start_session(server, std::move(stream), std::move(request));
}

}  // namespace auction::gateway
