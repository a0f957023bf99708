#include "auction/persistence/snapshot_store.h"

#include <cstring>

#include "lmdb_env.h"

namespace auction::persistence {
namespace {
MDB_env* env_of(void* env) {
  return static_cast<MDB_env*>(env);
}
}  // namespace

Status SnapshotStore::open(const std::string& directory, bool read_only,
                           std::unique_ptr<SnapshotStore>& out) {
  std::unique_ptr<SnapshotStore> store(new SnapshotStore());
  store->read_only_ = read_only;
  MDB_env* env = nullptr;
  // Snapshots are small next to the journal; 4 GiB of address space holds many.
  if (Status s = lmdb::open_env(directory, std::size_t{4} << 30, 2, read_only, &env); !s.is_ok()) {
    return s;
  }
  store->env_ = env;
  MDB_dbi dbi = 0;
  if (Status s = lmdb::open_dbs(env, directory, read_only, {{"snapshots", MDB_INTEGERKEY, &dbi}});
      !s.is_ok()) {
    return s;
  }
  store->dbi_ = dbi;
  out = std::move(store);
  return Status::ok();
}

SnapshotStore::~SnapshotStore() {
  if (env_ != nullptr) mdb_env_close(env_of(env_));
}

Status SnapshotStore::put(Seq seq, std::uint64_t digest, std::string_view bytes, std::size_t keep) {
  MDB_txn* txn = nullptr;
  if (const int rc = mdb_txn_begin(env_of(env_), nullptr, 0, &txn); rc != 0) {
    return lmdb::error(rc, "snapshots: begin");
  }
  const auto fail = [&](int rc, std::string_view doing) {
    mdb_txn_abort(txn);
    return lmdb::error(rc, "snapshots: " + std::string(doing));
  };
  MDB_val key{sizeof(seq), &seq};
  MDB_val value{sizeof(digest) + bytes.size(), nullptr};
  // MDB_RESERVE: LMDB hands out the space and we write into it, saving a copy of the image.
  if (const int rc = mdb_put(txn, dbi_, &key, &value, MDB_RESERVE); rc != 0) {
    return fail(rc, "put");
  }
  std::memcpy(value.mv_data, &digest, sizeof(digest));
  std::memcpy(static_cast<char*>(value.mv_data) + sizeof(digest), bytes.data(), bytes.size());
  // Prune all but the newest `keep`.
  {
    lmdb::Cursor cursor(txn, dbi_);
    MDB_val k, v;
    std::size_t seen = 0;
    int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_LAST);
    while (rc == 0) {
      if (++seen > keep) {
        if (const int del = mdb_cursor_del(cursor.get(), 0); del != 0) return fail(del, "prune");
      }
      rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_PREV);
    }
  }
  if (const int rc = mdb_txn_commit(txn); rc != 0) return lmdb::error(rc, "snapshots: commit");
  return Status::ok();
}

Status SnapshotStore::latest(std::optional<StoredSnapshot>& out, Seq at_or_before) const {
  out.reset();
  lmdb::ReadTxn txn(env_of(env_));
  if (txn.rc() != 0) return lmdb::error(txn.rc(), "snapshots: begin read");
  lmdb::Cursor cursor(txn.get(), dbi_);
  MDB_val key, value;
  StoredSnapshot snapshot;
  // Only a few snapshots are kept: walking back from the newest is cheap.
  int rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_LAST);
  for (; rc == 0; rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_PREV)) {
    std::memcpy(&snapshot.seq, key.mv_data, sizeof(Seq));
    if (snapshot.seq <= at_or_before) break;
  }
  if (rc == MDB_NOTFOUND) return Status::ok();
  if (rc != 0) return lmdb::error(rc, "snapshots: read");
  if (value.mv_size < sizeof(std::uint64_t)) {
    return Status::error(Status::Code::corruption,
                         "snapshot at seq " + std::to_string(snapshot.seq) + " is truncated");
  }
  std::memcpy(&snapshot.digest, value.mv_data, sizeof(std::uint64_t));
  snapshot.bytes.assign(static_cast<const char*>(value.mv_data) + sizeof(std::uint64_t),
                        value.mv_size - sizeof(std::uint64_t));
  out = std::move(snapshot);
  return Status::ok();
}

std::vector<Seq> SnapshotStore::list() const {
  std::vector<Seq> seqs;
  lmdb::ReadTxn txn(env_of(env_));
  if (txn.rc() != 0) return seqs;
  lmdb::Cursor cursor(txn.get(), dbi_);
  MDB_val key, value;
  for (int rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT)) {
    Seq seq = 0;
    std::memcpy(&seq, key.mv_data, sizeof(seq));
    seqs.push_back(seq);
  }
  return seqs;
}

}  // namespace auction::persistence
