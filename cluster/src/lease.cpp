#include "auction/cluster/lease.h"

#include <cstring>

namespace auction::cluster {
namespace {

constexpr const char* kKey = "leader";

}  // namespace

Lease::Lease(NatsLink& link, const ShardNames& names, LeaseOptions options)
    : link_(link), names_(names), options_(std::move(options)) {}

Lease::~Lease() {
  kvStore_Destroy(bucket_);
}

Status Lease::open() {
  return link_.open_bucket(names_.bucket, options_.lifetime_ms, js_FileStorage, bucket_);
}

void Lease::hold_until(SteadyClock::time_point sent, std::uint64_t revision) {
  revision_ = revision;
  const auto until = sent + std::chrono::milliseconds(options_.lifetime_ms - options_.safety_ms);
  valid_until_ns_.store(
      std::chrono::duration_cast<std::chrono::nanoseconds>(until.time_since_epoch()).count());
}

bool Lease::valid() const {
  const auto now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch())
          .count();
  return now < valid_until_ns_.load();
}

Status Lease::take() {
  const auto sent = SteadyClock::now();
  std::uint64_t revision = 0;
  const natsStatus status = kvStore_CreateString(&revision, bucket_, kKey, options_.node.c_str());
  if (status == NATS_OK) {
    hold_until(sent, revision);
    term_ = revision;
    return Status::ok();
  }
  std::string holder_node;
  if (holder(holder_node).is_ok() && !holder_node.empty()) {
    return Status::error(Status::Code::unavailable, "the lease is held by " + holder_node);
  }
  return Status::error(Status::Code::unavailable, "taking the lease: " + nats_error_text(status));
}

Status Lease::renew() {
  if (revision_ == 0) return Status::error(Status::Code::unavailable, "the lease is not held");
  const auto sent = SteadyClock::now();
  std::uint64_t revision = 0;
  const natsStatus status =
      kvStore_UpdateString(&revision, bucket_, kKey, options_.node.c_str(), revision_);
  if (status != NATS_OK) {
    // "wrong last sequence": another node wrote the key (or it lapsed and was taken): this node
    // no longer leads. Anything else (a timeout, a reconnect) is retried by the caller while
    // valid() still holds.
    const std::string why = nats_error_text(status);
    if (why.find("wrong last sequence") != std::string::npos) {
      revision_ = 0;
      term_ = 0;
      valid_until_ns_.store(0);
    }
    return Status::error(Status::Code::unavailable, "renewing the lease: " + why);
  }
  hold_until(sent, revision);
  return Status::ok();
}

void Lease::release() {
  if (revision_ == 0) return;
  std::string holder_node;
  if (holder(holder_node).is_ok() && holder_node == options_.node) {
    // libnats 3.4 has no compare-and-set delete: should the key lapse and be taken between the
    // read and the delete, the new holder's next renewal fails and it steps down. Never two
    // writers: the stream refuses a publish at a stale sequence (StreamWriter).
    kvStore_Delete(bucket_, kKey);
  }
  revision_ = 0;
  term_ = 0;
  valid_until_ns_.store(0);
}

Status Lease::holder(std::string& node_out) {
  node_out.clear();
  kvEntry* entry = nullptr;
  const natsStatus status = kvStore_Get(&entry, bucket_, kKey);
  if (status == NATS_NOT_FOUND) return Status::ok();
  if (status != NATS_OK) {
    return Status::error(Status::Code::unavailable,
                         "reading the lease: " + nats_error_text(status));
  }
  node_out.assign(static_cast<const char*>(kvEntry_Value(entry)),
                  static_cast<std::size_t>(kvEntry_ValueLen(entry)));
  kvEntry_Destroy(entry);
  return Status::ok();
}

}  // namespace auction::cluster
