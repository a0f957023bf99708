#include "auction/cluster/nats_link.h"

#include <chrono>
#include <thread>

namespace auction::cluster {
namespace {

using Clock = std::chrono::steady_clock;

// Streams keep a message id this long to refuse a retried publish (SPEC §11: a retry is not
// stored twice). Far above any retry of ours, which stops at the lease's lifetime.
constexpr std::int64_t kDuplicateWindowNs = 120LL * 1000 * 1000 * 1000;

}  // namespace

bool is_shard_id(std::string_view text) {
  return LotId::parse(text).has_value();
}

ShardNames::ShardNames(std::string id)
    : shard(std::move(id)),
      stream("AUCTION_" + shard),
      subject("auction." + shard + ".journal"),
      bucket("auction_" + shard + "_lease"),
      users("auction_" + shard + "_users"),
      nodes("auction_" + shard + "_nodes"),
      genesis("auction shard v1 " + shard) {}

std::string nats_error_text(natsStatus status) {
  const char* text = nats_GetLastError(nullptr);
  return text != nullptr && *text != 0 ? text : natsStatus_GetText(status);
}

NatsLink::~NatsLink() {
  jsCtx_Destroy(js_);
  natsConnection_Destroy(connection_);
}

bool NatsLink::connected() const {
  return connection_ != nullptr && natsConnection_Status(connection_) == NATS_CONN_STATUS_CONNECTED;
}

Status NatsLink::connect(const NatsOptions& options) {
  if (connection_ != nullptr) return Status::ok();  // connected once: libnats reconnects itself
  options_ = options;
  std::vector<const char*> urls;
  std::string listed;
  for (const std::string& url : options.urls) {
    urls.push_back(url.c_str());
    listed += (listed.empty() ? "" : ", ") + url;
  }
  if (urls.empty()) return Status::error("no NATS server URL given");
  natsOptions* o = nullptr;
  if (natsOptions_Create(&o) != NATS_OK) return Status::error(Status::Code::io_error, "libnats");
  natsOptions_SetServers(o, urls.data(), static_cast<int>(urls.size()));
  natsOptions_SetName(o, options.client_name.c_str());
  natsOptions_SetTimeout(o, 1'000);
  natsOptions_SetMaxReconnect(o, -1);  // once up, follow the cluster for ever
  natsOptions_SetReconnectWait(o, 100);
  natsOptions_SetSendAsap(o, true);  // a publish is a durability wait: never sit in a buffer
  const auto deadline = Clock::now() + std::chrono::milliseconds(options.connect_timeout_ms);
  natsStatus status = NATS_OK;
  do {
    status = natsConnection_Connect(&connection_, o);
    if (status == NATS_OK) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (Clock::now() < deadline);
  natsOptions_Destroy(o);
  if (status != NATS_OK) {
    connection_ = nullptr;
    return Status::error(Status::Code::unavailable,
                         "no NATS server answers at " + listed + ": " + nats_error_text(status));
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = options.request_timeout_ms;
  if (natsConnection_JetStream(&js_, connection_, &jo) != NATS_OK) {
    return Status::error(Status::Code::unavailable, "JetStream: " + nats_error_text(status));
  }
  return Status::ok();
}

Status NatsLink::ensure_stream(const ShardNames& names, DurationMs timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  const char* subjects[] = {names.subject.c_str()};
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = names.stream.c_str();
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Replicas = 3;
  config.Duplicates = kDuplicateWindowNs;
  config.DenyDelete = true;  // the journal is append-only
  config.DenyPurge = true;
  natsStatus status = NATS_OK;
  jsErrCode code{};
  std::string last_error;
  // Wait for a stream that exists, has a leader, and starts with a genesis record.
  while (true) {
    jsStreamInfo* info = nullptr;
    status = js_GetStreamInfo(&info, js_, names.stream.c_str(), nullptr, &code);
    if (status == NATS_NOT_FOUND) {
      status = js_AddStream(&info, js_, &config, nullptr, &code);
    }
    const bool led = status == NATS_OK && info != nullptr && info->Cluster != nullptr &&
                     info->Cluster->Leader != nullptr;
    const std::uint64_t last = info != nullptr ? info->State.LastSeq : 0;
    jsStreamInfo_Destroy(info);
    // Any error here may pass (a cluster still electing its meta leader answers with several):
    // retried until the deadline, which reports the last one.
    if (led && last == 0) {
      // The genesis record, once whoever comes first (its message id makes a second one a no-op).
      jsPubOptions publish;
      jsPubOptions_Init(&publish);
      publish.MsgId = "genesis";
      jsPubAck* ack = nullptr;
      status = js_Publish(&ack, js_, names.subject.c_str(), names.genesis.data(),
                          static_cast<int>(names.genesis.size()), &publish, &code);
      jsPubAck_Destroy(ack);
    }
    if (led && last > 0) break;
    last_error = nats_error_text(status);
    if (Clock::now() >= deadline) {
      return Status::error(Status::Code::unavailable,
                           "stream " + names.stream + " is not ready: " + last_error);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  natsMsg* first = nullptr;
  status = js_GetMsg(&first, js_, names.stream.c_str(), 1, nullptr, &code);
  if (status != NATS_OK) {
    return Status::error(
        Status::Code::unavailable,
        "stream " + names.stream + ": reading its first record: " + nats_error_text(status));
  }
  const std::string genesis(natsMsg_GetData(first),
                            static_cast<std::size_t>(natsMsg_GetDataLength(first)));
  natsMsg_Destroy(first);
  if (genesis != names.genesis) {
    return Status::error("stream " + names.stream + " is not shard " + names.shard +
                         "'s: its first record is \"" + genesis.substr(0, 80) + "\"");
  }
  return Status::ok();
}

Status NatsLink::open_bucket(const std::string& bucket, DurationMs ttl_ms, jsStorageType storage,
                             kvStore*& out) {
  constexpr std::int64_t kNsPerMs = 1'000'000;
  kvConfig config;
  kvConfig_Init(&config);
  config.Bucket = bucket.c_str();
  config.History = 1;
  config.TTL = ttl_ms * kNsPerMs;
  config.StorageType = storage;
  config.Replicas = 3;
  const natsStatus status = js_CreateKeyValue(&out, js_, &config);
  if (status != NATS_OK) {
    // It exists with another configuration (or NATS did not answer): bind it and compare.
    const std::string why = nats_error_text(status);
    if (js_KeyValue(&out, js_, bucket.c_str()) != NATS_OK) {
      return Status::error(Status::Code::unavailable, "bucket " + bucket + ": " + why);
    }
    kvStatus* state = nullptr;
    if (kvStore_Status(&state, out) == NATS_OK) {
      const std::int64_t existing_ms = kvStatus_TTL(state) / kNsPerMs;
      kvStatus_Destroy(state);
      if (existing_ms != ttl_ms) {
        return Status::error("bucket " + bucket + " keeps entries " + std::to_string(existing_ms) +
                             " ms, this node wants " + std::to_string(ttl_ms) +
                             " ms: every node of a shard needs the same settings (--lease-ms)");
      }
    }
  }
  return wait_for_leader("KV_" + bucket, 10'000);
}

Status NatsLink::wait_for_leader(const std::string& stream, DurationMs timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string why;
  while (true) {
    jsStreamInfo* info = nullptr;
    jsErrCode code{};
    const natsStatus status = js_GetStreamInfo(&info, js_, stream.c_str(), nullptr, &code);
    const bool led =
        status == NATS_OK && info->Cluster != nullptr && info->Cluster->Leader != nullptr;
    jsStreamInfo_Destroy(info);
    if (led) return Status::ok();
    why = status == NATS_OK ? "no leader yet" : nats_error_text(status);
    if (Clock::now() >= deadline) {
      return Status::error(Status::Code::unavailable, "stream " + stream + ": " + why);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Status NatsLink::last_sequence(const ShardNames& names, std::uint64_t& out) {
  jsStreamInfo* info = nullptr;
  jsErrCode code{};
  const natsStatus status = js_GetStreamInfo(&info, js_, names.stream.c_str(), nullptr, &code);
  if (status != NATS_OK) {
    return Status::error(Status::Code::unavailable,
                         "stream " + names.stream + ": " + nats_error_text(status));
  }
  out = info->State.LastSeq;
  jsStreamInfo_Destroy(info);
  return Status::ok();
}

}  // namespace auction::cluster
