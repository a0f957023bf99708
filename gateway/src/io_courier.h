// IoCourier: one IO thread's (a Lane's) deliveries from the lot board reach its subscribers in one
// hand-off per turn instead of one post per subscriber (LaneCourier splits a publish by lane).
//
// The IO thread runs whatever was handed over since its last turn: it queues each frame on its
// connection, then starts each connection's send, so a connection's frames of the turn leave in
// one send. After a turn of many deliveries (a hot lot's thousands of watchers) the next waits
// the interval (batch rather than react): the watchers get events a few at a time, in fewer
// sends and TCP segments, and the thread keeps time for its other work. After a small turn or
// a quiet spell nothing waits. Answers to a bidder's own requests never wait for it, nor for a
// turn's end: a turn starts its connections' sends a few hundred at a time, each step posted
// behind whatever is ready to run (reads, answers), so a big turn of thousands of sends does not
// hold a bidder on the hot lot back for its whole length.
// Threading: hand_over() from the board's thread (under its lock); the rest on the IO thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <mutex>
#include <vector>

#include "auction/gateway/lot_board.h"

namespace auction::gateway {

class IoCourier final : public Courier {
 public:
  // `interval` 0: a turn as soon as the IO thread is free.
  IoCourier(boost::asio::io_context& io, std::chrono::milliseconds interval);
  void hand_over(std::vector<Delivery>&& batch) override;

 private:
  void schedule();    // IO thread
  void run_due();     // IO thread: starts a turn
  void flush_some();  // IO thread: the turn's next step of sends

  boost::asio::io_context& io_;
  std::chrono::milliseconds interval_;
  boost::asio::steady_timer timer_;
  // The last turn: when it ended and how many frames it delivered (IO thread).
  std::chrono::steady_clock::time_point last_turn_end_;
  std::size_t last_turn_deliveries_ = 0;
  // The turn under way (IO thread): its deliveries, all taken, flushed up to `flushed_`.
  std::vector<Delivery> turn_;
  std::size_t flushed_ = 0;
  bool in_turn_ = false;
  bool deferred_ = false;  // a turn was due while one was under way
  std::mutex mutex_;
  std::vector<Delivery> pending_;  // handed over, in order, for the next turn
  bool scheduled_ = false;         // a turn is coming
};

}  // namespace auction::gateway
