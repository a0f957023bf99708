#include "auction/cluster/account_replica.h"

#include <pthread.h>

#include <chrono>

namespace auction::cluster {

AccountReplica::AccountReplica(NatsLink& link, const ShardNames& names)
    : link_(link), names_(names) {}

AccountReplica::~AccountReplica() {
  stop();
  kvStore_Destroy(bucket_);
}

Status AccountReplica::open() {
  return link_.open_bucket(names_.users, 0, js_FileStorage, bucket_);
}

Status AccountReplica::publish(const UserId& user, std::string_view record) {
  std::uint64_t revision = 0;
  const std::string key(user.view());
  const natsStatus status =
      kvStore_Put(&revision, bucket_, key.c_str(), record.data(), static_cast<int>(record.size()));
  if (status != NATS_OK) {
    return Status::error(Status::Code::unavailable,
                         "the shard did not store user " + key + ": " + nats_error_text(status));
  }
  return Status::ok();
}

Status AccountReplica::watch(Apply apply) {
  const natsStatus status = kvStore_WatchAll(&watcher_, bucket_, nullptr);
  if (status != NATS_OK) {
    return Status::error(Status::Code::unavailable,
                         "watching " + names_.users + ": " + nats_error_text(status));
  }
  thread_ = std::thread([this, apply = std::move(apply)] {
    pthread_setname_np(pthread_self(), "users-watch");
    run(apply);
  });
  return Status::ok();
}

void AccountReplica::run(Apply apply) {
  while (!stopping_.load()) {
    kvEntry* entry = nullptr;
    const natsStatus status = kvWatcher_Next(&entry, watcher_, 200);
    if (status != NATS_OK || entry == nullptr) continue;  // a timeout, or "initial values done"
    const auto user = UserId::parse(kvEntry_Key(entry));
    if (user && kvEntry_Operation(entry) == kvOp_Put) {
      apply(*user, std::string_view(static_cast<const char*>(kvEntry_Value(entry)),
                                    static_cast<std::size_t>(kvEntry_ValueLen(entry))));
    }
    kvEntry_Destroy(entry);
  }
}

void AccountReplica::stop() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
  if (watcher_ != nullptr) {
    kvWatcher_Stop(watcher_);
    kvWatcher_Destroy(watcher_);
    watcher_ = nullptr;
  }
}

}  // namespace auction::cluster
