// WriteGate: the stream under a session's websocket::stream, so that the session can write its
// whole queue of server frames in one send while Beast keeps the handshake, reading, the control
// frames and the close.
//
// Why: Beast writes one message per operation, a send per frame, and one system call per message
// is the wall on these machines (PERFORMANCE.md). Server frames are unmasked and trivially
// framed (encode_frame_header), so the session frames them itself. Beast still writes on its
// own — the handshake's answer, pongs, keep-alive pings, the close — and the gate keeps the two
// writers from interleaving their bytes:
//   - each write_some of Beast's is written whole (Beast hands over whole frames), and
//   - a write of either side waits while the other's is under way; when a Beast write ends and
//     nothing is under way, the gate calls the session's idle callback.
// Completions touch only the gate's shared state: a socket destroyed with a write pending still
// runs its handler (aborted), after the session is gone.
//
// Beast's reads go through as well. asio (Boost 1.81) tries each read at once and waits for
// readiness only when the try found nothing; its try is skipped only after a read of 0 bytes.
// So the read that follows a bidder's message, asked for within that message's handling, finds
// the socket empty: a `recvmsg` failing with `EAGAIN` per bid. The gate waits for readiness
// instead when the read before came back short (the socket was empty then) and the new read is
// asked for from within that read's completion. asio registers the wait with an `epoll_ctl`,
// which costs less than the failed read but is a system call too (bench/RESULTS.md, "The read's
// wait, measured again"). Data arriving after the short read always wakes the wait: the stream's
// io_context runs on one thread (each lane has its own), so its reactor cannot take the socket's
// readiness in between. A read asked for later, from another handler, tries at once as asio
// does.
// Threading: the session's executor only, on an io_context run by one thread.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace auction::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;

// An unmasked, final text frame's header for a payload of `payload_bytes` (RFC 6455 §5.2):
// written to `out`, its length returned (2, 4 or 10 bytes).
using FrameHeader = std::array<std::uint8_t, 10>;
inline std::size_t encode_frame_header(FrameHeader& out, std::size_t payload_bytes) {
  out[0] = 0x81;  // FIN, text
  if (payload_bytes < 126) {
    out[1] = static_cast<std::uint8_t>(payload_bytes);
    return 2;
  }
  if (payload_bytes <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<std::uint8_t>(payload_bytes >> 8);
    out[3] = static_cast<std::uint8_t>(payload_bytes);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i)
    out[2 + i] =
        static_cast<std::uint8_t>(static_cast<std::uint64_t>(payload_bytes) >> (56 - 8 * i));
  return 10;
}

// The session's batch of buffers, which it keeps alive until the write ends (asio copies a buffer
// sequence into its operation: a vector would be copied, and allocated, on every write).
struct BufferSpan {
  using value_type = asio::const_buffer;
  using const_iterator = const asio::const_buffer*;
  const_iterator first = nullptr;
  const_iterator last = nullptr;
  const_iterator begin() const { return first; }
  const_iterator end() const { return last; }
};

template <class Next>
class WriteGate {
 public:
  using executor_type = typename Next::executor_type;
  using next_layer_type = Next;
  using WriteHandler = asio::any_completion_handler<void(beast::error_code, std::size_t)>;

  explicit WriteGate(Next&& next) : next_(std::move(next)), state_(std::make_shared<State>()) {}

  executor_type get_executor() noexcept { return next_.get_executor(); }
  Next& next_layer() noexcept { return next_; }
  const Next& next_layer() const noexcept { return next_; }

  // Beast's reads: on a plain socket, a read asked for from within a short read's completion
  // waits for readiness first (see above); otherwise straight through.
  template <class Buffers, class Handler>
  auto async_read_some(const Buffers& buffers, Handler&& handler) {
    if constexpr (!kPlainSocket) {
      return next_.async_read_some(buffers, std::forward<Handler>(handler));
    } else {
      return asio::async_initiate<Handler, void(beast::error_code, std::size_t)>(
          [this](auto&& completion, const Buffers& into) {
            if (state_->read_was_short && state_->in_read_completion) {
              read_when_ready(std::move(completion), into);
            } else {
              next_.async_read_some(into, [state = state_, completion = std::move(completion),
                                           wanted = asio::buffer_size(into)](
                                              beast::error_code ec, std::size_t bytes) mutable {
                finish_read(*state, completion, ec, bytes, wanted);
              });
            }
          },
          handler, buffers);
    }
  }

  // Beast's writes: whole, and only once the session's batch under way is out.
  template <class Buffers, class Handler>
  auto async_write_some(const Buffers& buffers, Handler&& handler) {
    return asio::async_initiate<Handler, void(beast::error_code, std::size_t)>(
        [this](auto&& completion, const Buffers& bytes) {
          State& s = *state_;
          s.beast_buffers.assign(asio::buffer_sequence_begin(bytes),
                                 asio::buffer_sequence_end(bytes));
          s.beast_handler.emplace(std::move(completion));
          if (!s.batch_writing) write_beast();
        },
        handler, buffers);
  }

  // Whether a write of either side is under way (or one of Beast's waits).
  bool busy() const { return state_->batch_writing || state_->beast_handler.has_value(); }
  // Called when a write of Beast's ended and nothing is under way.
  void on_idle(std::function<void()> idle) { state_->idle = std::move(idle); }

  // The session's own bytes, all of them. Only when !busy(). On a plain socket the batch is
  // first offered to the socket at once, in one `sendmsg`: when the socket takes it whole (or
  // fails), the result is returned and `done` is not called. Otherwise (TLS, or a full socket:
  // the rest waits for room) nullopt, and `done(ec)` once the batch is out.
  template <class Done>
  std::optional<beast::error_code> write_batch(BufferSpan buffers, Done&& done) {
    std::size_t sent = 0;
    if constexpr (kPlainSocket) {
      beast::error_code ec;
      auto& socket = next_.socket();
      if (!socket.non_blocking()) socket.non_blocking(true, ec);
      if (!ec) sent = socket.write_some(buffers, ec);
      if (ec == asio::error::would_block) ec = {};
      if (ec || sent == asio::buffer_size(buffers)) return ec;
    }
    std::shared_ptr<State> state = state_;
    state->batch_writing = true;
    beast::buffers_suffix<BufferSpan> rest(buffers);  // asio copies it into its operation
    rest.consume(sent);
    asio::async_write(
        next_, rest,
        [this, state, done = std::forward<Done>(done)](beast::error_code ec, std::size_t) mutable {
          state->batch_writing = false;
          // A Beast write that waited goes first (after an error too: Beast
          // learns of it): the session then finds the gate busy and writes
          // again when it is idle.
          if (state->beast_handler) write_beast();
          done(ec);
        });
    return std::nullopt;
  }

 private:
  // A plain TCP stream (whatever its executor), not TLS over one.
  static constexpr bool kPlainSocket =
      std::is_same_v<Next, beast::basic_stream<asio::ip::tcp, typename Next::executor_type,
                                               beast::unlimited_rate_policy>>;

  struct State {
    bool read_was_short = false;      // the last read took less than it had room for
    bool in_read_completion = false;  // a read's completion is running
    bool batch_writing = false;
    std::vector<asio::const_buffer> beast_buffers;
    // Set from the start of a Beast write until its end. (Optional, never assigned: Boost 1.81's
    // any_completion_handler move assignment recurses without end.)
    std::optional<WriteHandler> beast_handler;
    bool beast_started = false;
    std::function<void()> idle;
  };

  // Waits until the socket is readable, then reads what it holds (without blocking). A wake-up
  // for bytes an earlier read already took finds nothing and waits again.
  template <class Completion, class Buffers>
  void read_when_ready(Completion&& completion, const Buffers& into) {
    next_.socket().async_wait(
        asio::socket_base::wait_read, [this, state = state_, completion = std::move(completion),
                                       into](beast::error_code ec) mutable {
          std::size_t bytes = 0;
          if (!ec) {  // a pending read keeps its session, and so this gate, alive
            auto& socket = next_.socket();
            if (!socket.non_blocking()) socket.non_blocking(true, ec);
            if (!ec) bytes = socket.read_some(into, ec);
            if (ec == asio::error::would_block) return read_when_ready(std::move(completion), into);
          }
          finish_read(*state, completion, ec, bytes, asio::buffer_size(into));
        });
  }

  // Hands a read's result to Beast, noting whether it emptied the socket.
  template <class Completion>
  static void finish_read(State& state, Completion& completion, beast::error_code ec,
                          std::size_t bytes, std::size_t wanted) {
    state.read_was_short = !ec && bytes < wanted;
    state.in_read_completion = true;
    std::move(completion)(ec, bytes);  // Beast may ask for the next read here
    state.in_read_completion = false;
  }

  void write_beast() {
    std::shared_ptr<State> state = state_;
    if (state->beast_started) return;
    state->beast_started = true;
    // The completion runs on the stream's executor, the session's, as Beast's handlers expect.
    asio::async_write(next_, state->beast_buffers,
                      [state](beast::error_code ec, std::size_t bytes) {
                        WriteHandler handler(std::move(*state->beast_handler));
                        state->beast_handler.reset();
                        state->beast_started = false;
                        std::move(handler)(ec, bytes);  // Beast may start its next write here
                        if (!state->batch_writing && !state->beast_handler && state->idle) {
                          state->idle();
                        }
                      });
  }

  Next next_;
  std::shared_ptr<State> state_;
};

// Beast tears a connection down through the layer the gate wraps.
template <class Next>
void teardown(beast::role_type role, WriteGate<Next>& gate, beast::error_code& ec) {
  using beast::websocket::teardown;
  teardown(role, gate.next_layer(), ec);
}

template <class Next, class Handler>
void async_teardown(beast::role_type role, WriteGate<Next>& gate, Handler&& handler) {
  using beast::websocket::async_teardown;
  async_teardown(role, gate.next_layer(), std::forward<Handler>(handler));
}

}  // namespace auction::gateway
