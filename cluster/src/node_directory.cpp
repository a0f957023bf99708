#include "auction/cluster/node_directory.h"

#include <algorithm>

namespace auction::cluster {

NodeDirectory::NodeDirectory(NatsLink& link, const ShardNames& names)
    : link_(link), names_(names) {}

NodeDirectory::~NodeDirectory() {
  kvStore_Destroy(bucket_);
}

Status NodeDirectory::open() {
  // In memory: a status a second is nothing worth a disk write.
  return link_.open_bucket(names_.nodes, kNodeEntryLifetimeMs, js_MemoryStorage, bucket_);
}

Status NodeDirectory::publish(const std::string& node, const std::string& status_json) {
  std::uint64_t revision = 0;
  const natsStatus status =
      kvStore_PutString(&revision, bucket_, node.c_str(), status_json.c_str());
  if (status != NATS_OK) {
    return Status::error(Status::Code::unavailable, "nodes bucket: " + nats_error_text(status));
  }
  return Status::ok();
}

std::vector<std::pair<std::string, std::string>> NodeDirectory::list() const {
  std::vector<std::pair<std::string, std::string>> entries;
  kvKeysList keys{};
  if (kvStore_Keys(&keys, bucket_, nullptr) != NATS_OK) return entries;
  for (int i = 0; i < keys.Count; ++i) {
    kvEntry* entry = nullptr;
    if (kvStore_Get(&entry, bucket_, keys.Keys[i]) == NATS_OK) {
      entries.emplace_back(keys.Keys[i], kvEntry_ValueString(entry));
      kvEntry_Destroy(entry);
    }
  }
  kvKeysList_Destroy(&keys);
  std::sort(entries.begin(), entries.end());
  return entries;
}

}  // namespace auction::cluster
