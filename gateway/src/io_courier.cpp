#include "io_courier.h"

#include <boost/asio/post.hpp>

#include <iterator>

namespace auction::gateway {
namespace {

constexpr int kQuietIntervals = 4;

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

// After a quiet spell (no turn for a few intervals) at once; else an interval from now, which
// under load is an interval after the last turn's sends: events gather meanwhile, so turns grow
// instead of multiplying, and the thread keeps time for its reads and answers. (Measured against
// scheduling from the last turn's end, which coalesced half as much: bench/RESULTS.md.)
void IoCourier::schedule() {
  const auto now = std::chrono::steady_clock::now();
  if (now >= last_turn_ + kQuietIntervals * interval_) return run_due();
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
  last_turn_ = std::chrono::steady_clock::now();
}

}  // namespace auction::gateway
