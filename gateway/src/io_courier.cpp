#include "io_courier.h"

#include <boost/asio/post.hpp>

#include <iterator>

namespace auction::gateway {
namespace {

constexpr int kQuietIntervals = 4;
// A turn this big costs the IO thread ~10 ms here (a send each): the next one waits.
constexpr std::size_t kBigTurnDeliveries = 1'000;

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
  const auto now = std::chrono::steady_clock::now();
  const bool quiet = now >= last_turn_end_ + kQuietIntervals * interval_;
  if (quiet || last_turn_deliveries_ < kBigTurnDeliveries) return run_due();
  timer_.expires_at(now + interval_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) run_due();
  });
}

void IoCourier::run_due() {
  std::vector<Delivery> due;
  {
    std::lock_guard lock(mutex_);
    due.swap(pending_);
    scheduled_ = false;
  }
  for (const Delivery& delivery : due)
    delivery.who->take(delivery.frame);
  for (const Delivery& delivery : due)
    delivery.who->flush();
  last_turn_end_ = std::chrono::steady_clock::now();
  last_turn_deliveries_ = due.size();
}

}  // namespace auction::gateway
