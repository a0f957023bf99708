// Who is in the shard right now (SPEC §11): every node puts a short status of its own under its
// id in the key-value bucket auction_<shard>_nodes every second; an entry not renewed for the
// bucket's lifetime (10 s) is gone. Read by `auctionctl status` (leader, followers, applied
// sequence, lag) and by the bidder page (the addresses it may reconnect to).
//
// Contract: the status is a JSON object the node writes (role, journal_seq, stream_seq,
// bidder_url, admin_url, updated_ms); list() returns every live entry by node id.
// Threading: publish() and list() from any thread (libnats locks).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "auction/cluster/nats_link.h"

namespace auction::cluster {

inline constexpr DurationMs kNodeEntryLifetimeMs = 10'000;

class NodeDirectory {
 public:
  NodeDirectory(NatsLink& link, const ShardNames& names);
  ~NodeDirectory();
  NodeDirectory(const NodeDirectory&) = delete;
  NodeDirectory& operator=(const NodeDirectory&) = delete;

  Status open();
  Status publish(const std::string& node, const std::string& status_json);
  std::vector<std::pair<std::string, std::string>> list() const;

 private:
  NatsLink& link_;
  const ShardNames& names_;
  kvStore* bucket_ = nullptr;
};

}  // namespace auction::cluster
