#include "io_courier.h"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <iterator>

namespace auction::gateway {
namespace {

constexpr int kQuietIntervals = 4;
// A turn this big costs the IO thread ~10 ms here (a send each): the next one waits.
constexpr std::size_t kBigTurnDeliveries = 1'000;
// Sends started per step of a turn (~2 ms here): what else is ready runs between two steps.
constexpr std::size_t kFlushesPerStep = 256;

}  // namespace

IoCourier::IoCourier(boost::asio::io_context& io, std::chrono::milliseconds interval)
    : io_(io), interval_(interval), timer_(io) {}

void IoCourier::hand_over(std::vector<Delivery>&& batch) {
  {
    std::lock_guard lock(mutex_);
    if (pending_.empty()) {
      pending_ = std::move(batch);
    } else {
      pending_.insert(pending_.end(), std::make_move_iterator(batch.begin()),
                      std::make_move_iterator(batch.end()));
    }
    if (scheduled_) return;
    scheduled_ = true;
  }
  boost::asio::post(io_, [this] { schedule(); });
}

// At once after a quiet spell (no turn for a few intervals) or a small turn (a small audience).
// After a turn of many deliveries (a hot lot's thousands of watchers), the next waits the
// interval from now: the thread gets that time for its reads and answers while the next events
// gather, so turns grow instead of multiplying. The turn's size decides, not its duration: a
// duration flips around any threshold as sockets fill and drain (measured: bench/RESULTS.md).
void IoCourier::schedule() {
  if (in_turn_) {
    deferred_ = true;  // the turn's end schedules it
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  const bool quiet = now >= last_turn_end_ + kQuietIntervals * interval_;
  if (quiet || last_turn_deliveries_ < kBigTurnDeliveries) return run_due();
  timer_.expires_at(now + interval_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) run_due();
  });
}

void IoCourier::run_due() {
  turn_.clear();  // keeps its capacity, which then goes to pending_
  {
    std::lock_guard lock(mutex_);
    turn_.swap(pending_);
    scheduled_ = false;
  }
  for (const Delivery& delivery : turn_)
    delivery.who->take(delivery.frame);
  in_turn_ = true;
  flushed_ = 0;
  flush_some();
}

void IoCourier::flush_some() {
  const std::size_t end = std::min(turn_.size(), flushed_ + kFlushesPerStep);
  for (; flushed_ < end; ++flushed_)
    turn_[flushed_].who->flush();
  if (flushed_ < turn_.size()) {
    boost::asio::post(io_, [this] { flush_some(); });
    return;
  }
  in_turn_ = false;
  last_turn_end_ = std::chrono::steady_clock::now();
  last_turn_deliveries_ = turn_.size();
  turn_.clear();  // the frames and subscribers it held go now
  if (deferred_) {
    deferred_ = false;
    schedule();
  }
}

}  // namespace auction::gateway
