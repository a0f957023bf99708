// The shard's users on every node (SPEC §11: any node serves bidders and auctioneers). Users
// are not engine state (not in the journal): each node keeps them in its own account store, and
// a change made on any node is put into the shard's key-value bucket auction_<shard>_users,
// which every node watches and copies into its store.
//
// Contract:
//   - publish() returns once the bucket stored the record (a quorum of 3 replicas); records
//     hold the role, the revoked flag and the token's hash, never a token.
//   - watch() hands `apply` every record the bucket holds, then every later change, in order,
//     on its own thread, until stop(). A node that was down catches up on start.
// Threading: publish() from any thread; `apply` runs on the watcher's thread.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "auction/cluster/nats_link.h"

namespace auction::cluster {

class AccountReplica {
 public:
  using Apply = std::function<void(const UserId& user, std::string_view record)>;

  AccountReplica(NatsLink& link, const ShardNames& names);
  ~AccountReplica();
  AccountReplica(const AccountReplica&) = delete;
  AccountReplica& operator=(const AccountReplica&) = delete;

  Status open();
  Status publish(const UserId& user, std::string_view record);
  Status watch(Apply apply);
  void stop();

 private:
  void run(Apply apply);

  NatsLink& link_;
  const ShardNames& names_;
  kvStore* bucket_ = nullptr;
  kvWatcher* watcher_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

}  // namespace auction::cluster
