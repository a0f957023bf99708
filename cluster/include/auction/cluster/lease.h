// The shard's one writer (SPEC §11): a lease held as the key "leader" of the shard's JetStream
// key-value bucket, taken and renewed by compare-and-set on the entry's revision.
//
// Contract:
//   - The bucket keeps a value for `lifetime_ms` (its TTL): a leader that stops renewing loses
//     the key by itself, and any node may then take() it. take() succeeds only where no value
//     is held; renew() only at the revision this node last wrote, so a node that lost the lease
//     can never renew over another's.
//   - valid() is this node's own, conservative view: it holds the lease until
//     `lifetime_ms - safety_ms` after the renewal it last sent (measured from before sending, on
//     the local steady clock). A leader stops answering once valid() is false, before any other
//     node can take the key.
//   - release() deletes the key when this node holds it, so a clean shutdown hands over at once.
// Threading: one thread calls take(), renew(), release(); valid(), held() and term() from any.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "auction/cluster/nats_link.h"

namespace auction::cluster {

struct LeaseOptions {
  std::string node;  // this node's id, the value written under "leader"
  DurationMs lifetime_ms = 2'000;
  DurationMs safety_ms = 500;  // clock drift and the time a renewal takes to be stored
};

class Lease {
 public:
  Lease(NatsLink& link, const ShardNames& names, LeaseOptions options);
  ~Lease();
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  // Makes or binds the bucket (3 replicas, TTL = lifetime). A bucket made with another lifetime
  // is refused with both values named.
  Status open();
  // Takes the lease if nobody holds it. ok = this node leads now; `unavailable` = another node
  // holds it (`holder` says which) or NATS did not answer.
  Status take();
  // Renews this node's lease; an error means it is lost (stop leading at once).
  Status renew();
  void release();
  // Who holds the key now, as the bucket says ("" when nobody).
  Status holder(std::string& node_out);

  bool valid() const;
  // The revision at which this node took the lease: its leadership's term (0 = not held).
  std::uint64_t term() const { return term_.load(); }
  // False once this node knows another took the lease (a renewal refused), or released it.
  bool held() const { return term_.load() != 0; }
  DurationMs renew_every_ms() const { return options_.lifetime_ms / 4; }
  const LeaseOptions& options() const { return options_; }

 private:
  using SteadyClock = std::chrono::steady_clock;
  void hold_until(SteadyClock::time_point sent, std::uint64_t revision);

  NatsLink& link_;
  const ShardNames& names_;
  LeaseOptions options_;
  kvStore* bucket_ = nullptr;
  std::uint64_t revision_ = 0;  // of the value this node last wrote; 0 = not held
  std::atomic<std::uint64_t> term_{0};
  std::atomic<std::int64_t> valid_until_ns_{0};
};

}  // namespace auction::cluster
