// What a bidder's message asks for, whatever carries it: the bidder protocol's dispatch (message
// → handler), the per-connection rate buckets, the answer slots of requests awaiting durability,
// and the register → deposit → qualify chain (SPEC §6.2). A transport (WsSession) derives from
// it and supplies the three hooks: send a frame, close for a policy reason, run on the session's
// executor.
//
// Contract: every request gets exactly one answer (SPEC §4, §7); a bid's answer leaves only from
// answer()/refuse(), which the wiring calls once the command is durable or was never applied.
// Threading: handle() and every on_x() run on the session's executor; answer(), refuse(),
// deliver(), close_revoked() and viewer() may be called from any thread (they post).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "auction/gateway/lot_board.h"
#include "auction/gateway/protocol.h"
#include "backlog.h"
#include "server_impl.h"

namespace auction::gateway {

// A token bucket: `rate` tokens per second up to `burst`.
class TokenBucket {
 public:
  TokenBucket(double rate, double burst)
      : rate_(rate), burst_(burst), tokens_(burst), refilled_(std::chrono::steady_clock::now()) {}
  bool take();

 private:
  double rate_, burst_, tokens_;
  std::chrono::steady_clock::time_point refilled_;
};

class BidderDispatcher : public Subscriber, public std::enable_shared_from_this<BidderDispatcher> {
 public:
  // `lane`: the server's IO thread the session runs on.
  BidderDispatcher(Server::Impl& server, Lane& lane);
  ~BidderDispatcher() override;

  // Any thread.
  void deliver(const Frame& frame) override;
  void handed() override { backlog_.handed(); }  // under the board's lock
  void take(const Frame& frame) override {       // the session's executor, as are the next two
    backlog_.taken();
    enqueue(frame);
  }
  void flush() override { start_sending(); }
  UserId viewer() const override;
  unsigned lane() const override { return lane_.index; }
  bool wants_event(const LotId& lot) override;  // under the board's lock
  void resynced(const LotId& lot) override { backlog_.resynced(lot); }
  void answer(std::uint32_t slot, Seq seq, std::vector<Event> events);
  void refuse(std::uint32_t slot);
  void close_revoked();  // 1008 "token revoked"
  // The durable answer, on the session's lane (Server::answer_all).
  void answer_now(std::uint32_t slot, Seq seq, std::span<const Event> events) {
    on_answer(slot, seq, events);
  }

 protected:
  // One decoded frame (or the problem with it). Session executor.
  void handle(const Request& request, const std::optional<ProtocolError>& problem);
  // Joins the session registry: answers find the session by the id in their origin.
  void registered_as(std::uint64_t id) { id_ = id; }
  // Answers and replies leave once the handler running now is done, so that those of one batch
  // of answers, or of one read's messages, share a send. The hot answers are written into
  // spare_text(), a sent answer's buffer.
  void send_text(std::string text) {
    enqueue(std::move(text));
    start_sending_soon();
  }
  void send(const Frame& frame) {
    enqueue(frame);
    start_sending_soon();
  }

  // The transport's queue of unsent frames after each change (session executor): a subscriber
  // that fell behind asks for its resync snapshots once the queue is empty (SPEC §7).
  void queue_changed(std::size_t frames);
  // Queues the resync snapshots due now (none while frames are unsent). Session executor.
  void resync_due();

  // The transport's hooks, on the session's executor: queue a frame shared with other
  // subscribers or a text of the connection's own (a connection whose queue outgrows its limit
  // is closed), give an empty string with room from a sent text, send what is queued now, or
  // once the running handler is done.
  virtual void enqueue(const Frame& frame) = 0;
  virtual void enqueue(std::string&& text) = 0;
  virtual std::string spare_text() = 0;
  virtual void start_sending() = 0;
  virtual void start_sending_soon() = 0;
  virtual void close_policy(const char* reason) = 0;
  // Runs `task` on the session's executor, keeping the session alive until it has run.
  virtual void post(std::function<void()> task) = 0;

  Server::Impl& server_;

 private:
  struct Pending {
    bool used = false;
    RequestType type = RequestType::ping;
    RequestId id;
    LotId lot;
    AmountMinor amount_minor = 0;
  };

  bool logged_in() const;  // session executor, as is user()
  const UserId& user() const { return session_user_; }
  std::optional<AmountMinor> board_min_next(const LotId& lot) const;
  bool over_limit();
  void handle_login(const Request& request);
  void handle_bid(const Request& request);
  void handle_register(const Request& request);
  void handle_orders(const Request& request);
  void handle_order_request(const Request& request);
  void settle(const Request& request, settlement::InputBody input);
  void on_settled(const Request& request, const settlement::Answer& answer);
  void qualify(const Request& request, AmountMinor held_minor);
  std::optional<std::uint32_t> take_slot(const Request& request);
  Pending release_slot(std::uint32_t slot);
  void on_answer(std::uint32_t slot, Seq seq, std::span<const Event> events);
  void on_qualified(const Pending& pending, std::span<const Event> events);
  void on_refused(std::uint32_t slot);

  Lane& lane_;  // the IO thread this session runs on
  const ServerLimits& limits_;
  Backlog backlog_;
  std::atomic<bool> not_reading_{false};  // the close for not reading is on its way
  std::uint64_t id_ = 0;
  mutable std::mutex user_mutex_;
  UserId user_;  // for viewer(), from any thread
  // The same user, written and read on the session's executor only: a bid reads it without the
  // lock (three lock round trips a bid otherwise).
  UserId session_user_;
  TokenBucket bids_;
  TokenBucket messages_;
  std::uint32_t rate_limited_in_row_ = 0;
  std::size_t settling_ = 0;  // settlement requests awaiting their answer
  // Slots for requests awaiting durability: grown on demand (an idle connection holds none),
  // never past the limit; indices stay stable because slots are only ever appended.
  std::vector<Pending> pending_;
  std::size_t pending_count_ = 0;
  std::uint32_t next_slot_ = 0;
};

}  // namespace auction::gateway
