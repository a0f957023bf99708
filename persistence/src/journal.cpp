#include "auction/persistence/journal.h"

#include <cstring>
#include <mutex>

#include "lmdb_env.h"

namespace auction::persistence {
namespace {

constexpr std::string_view kChainKey = "chain";

MDB_env* env_of(void* env) {
  return static_cast<MDB_env*>(env);
}

}  // namespace

Status Journal::open(const JournalOptions& options, std::unique_ptr<Journal>& out) {
  std::unique_ptr<Journal> journal(new Journal());
  journal->directory_ = options.directory;
  journal->read_only_ = options.read_only;
  MDB_env* env = nullptr;
  if (Status s =
          lmdb::open_env(options.directory, options.map_size_bytes, 4, options.read_only, &env);
      !s.is_ok()) {
    return s;
  }
  journal->env_ = env;
  MDB_dbi commands = 0, meta = 0, marks = 0;
  if (Status s = lmdb::open_dbs(env, options.directory, options.read_only,
                                {{"commands", MDB_INTEGERKEY, &commands},
                                 {"meta", 0, &meta},
                                 {"marks", MDB_INTEGERKEY, &marks}});
      !s.is_ok()) {
    if (s.code() != Status::Code::not_found) return s;
    return Status::error(Status::Code::not_found,
                         options.directory + ": not a journal (no \"commands\" database)");
  }
  journal->commands_dbi_ = commands;
  journal->meta_dbi_ = meta;
  journal->marks_dbi_ = marks;
  out = std::move(journal);
  return Status::ok();
}

Journal::~Journal() {
  if (write_txn_ != nullptr) mdb_txn_abort(static_cast<MDB_txn*>(write_txn_));
  if (env_ != nullptr) mdb_env_close(env_of(env_));
}

Status Journal::write(const JournalBatch& batch) {
  if (read_only_) return Status::error(Status::Code::invalid_argument, "journal is read-only");
  MDB_txn* txn = static_cast<MDB_txn*>(write_txn_);
  if (txn == nullptr) {
    if (const int rc = mdb_txn_begin(env_of(env_), nullptr, 0, &txn); rc != 0) {
      return lmdb::error(rc, "journal: begin write");
    }
    write_txn_ = txn;
  }
  const auto fail = [&](int rc, std::string_view doing) {
    mdb_txn_abort(txn);
    write_txn_ = nullptr;
    return lmdb::error(rc, "journal: " + std::string(doing));
  };
  Seq seq = batch.last_seq - batch.records.size();
  for (const std::string_view record : batch.records) {
    ++seq;
    MDB_val key{sizeof(seq), &seq};
    MDB_val value = lmdb::value_of(record);
    // MDB_APPEND: keys only grow, so LMDB appends to the last page without searching; it also
    // refuses (MDB_KEYEXIST) a sequence number that does not follow the last one.
    if (const int rc = mdb_put(txn, commands_dbi_, &key, &value, MDB_APPEND); rc != 0) {
      return fail(rc, "append seq " + std::to_string(seq));
    }
  }
  char chain[sizeof(Seq) + 32];
  std::memcpy(chain, &batch.last_seq, sizeof(Seq));
  std::memcpy(chain + sizeof(Seq), batch.chain_after.data(), 32);
  MDB_val key = lmdb::value_of(kChainKey);
  MDB_val value{sizeof(chain), chain};
  if (const int rc = mdb_put(txn, meta_dbi_, &key, &value, 0); rc != 0) {
    return fail(rc, "write chain digest");
  }
  for (const ChainPoint& mark : batch.marks) {
    MDB_val mark_key{sizeof(mark.seq), const_cast<Seq*>(&mark.seq)};
    MDB_val mark_value{mark.digest.size(), const_cast<std::uint8_t*>(mark.digest.data())};
    if (const int rc = mdb_put(txn, marks_dbi_, &mark_key, &mark_value, 0); rc != 0) {
      return fail(rc, "write mark of seq " + std::to_string(mark.seq));
    }
  }
  return Status::ok();
}

Status Journal::sync() {
  MDB_txn* txn = static_cast<MDB_txn*>(write_txn_);
  if (txn == nullptr) return Status::ok();
  write_txn_ = nullptr;
  if (const int rc = mdb_txn_commit(txn); rc != 0) return lmdb::error(rc, "journal: commit");
  return Status::ok();
}

Status Journal::grow_map(std::size_t map_size_bytes) {
  if (write_txn_ != nullptr) {
    return Status::error(Status::Code::invalid_argument, "journal: grow_map inside a batch");
  }
  std::unique_lock lock(resize_mutex_);
  if (const int rc = mdb_env_set_mapsize(env_of(env_), map_size_bytes); rc != 0) {
    return lmdb::error(rc, "journal: grow map");
  }
  return Status::ok();
}

Seq Journal::edge_seq(bool last) const {
  std::shared_lock lock(resize_mutex_);
  lmdb::ReadTxn txn(env_of(env_));
  if (txn.rc() != 0) return 0;
  lmdb::Cursor cursor(txn.get(), commands_dbi_);
  if (cursor.rc() != 0) return 0;
  MDB_val key, value;
  if (mdb_cursor_get(cursor.get(), &key, &value, last ? MDB_LAST : MDB_FIRST) != 0) return 0;
  Seq seq = 0;
  std::memcpy(&seq, key.mv_data, sizeof(seq));
  return seq;
}

Seq Journal::first_seq() const {
  return edge_seq(false);
}
Seq Journal::last_seq() const {
  return edge_seq(true);
}

ChainPoint Journal::chain() const {
  std::shared_lock lock(resize_mutex_);
  lmdb::ReadTxn txn(env_of(env_));
  ChainPoint point;
  MDB_val key = lmdb::value_of(kChainKey), value;
  if (txn.rc() == 0 && mdb_get(txn.get(), meta_dbi_, &key, &value) == 0 &&
      value.mv_size == sizeof(Seq) + 32) {
    std::memcpy(&point.seq, value.mv_data, sizeof(Seq));
    std::memcpy(point.digest.data(), static_cast<const char*>(value.mv_data) + sizeof(Seq), 32);
  }
  return point;
}

std::optional<Digest256> Journal::mark(Seq seq) const {
  std::shared_lock lock(resize_mutex_);
  lmdb::ReadTxn txn(env_of(env_));
  MDB_val key{sizeof(seq), &seq}, value;
  if (txn.rc() != 0 || mdb_get(txn.get(), marks_dbi_, &key, &value) != 0 ||
      value.mv_size != sizeof(Digest256)) {
    return std::nullopt;
  }
  Digest256 digest;
  std::memcpy(digest.data(), value.mv_data, digest.size());
  return digest;
}

JournalSpace Journal::space() const {
  std::shared_lock lock(resize_mutex_);
  MDB_envinfo info;
  MDB_stat stat;
  mdb_env_info(env_of(env_), &info);
  mdb_env_stat(env_of(env_), &stat);
  return JournalSpace{(info.me_last_pgno + 1) * stat.ms_psize, info.me_mapsize};
}

Status Journal::scan(Seq from_seq, const std::function<bool(Seq, std::string_view)>& visit) const {
  std::shared_lock lock(resize_mutex_);
  lmdb::ReadTxn txn(env_of(env_));
  if (txn.rc() != 0) return lmdb::error(txn.rc(), "journal: begin read");
  lmdb::Cursor cursor(txn.get(), commands_dbi_);
  if (cursor.rc() != 0) return lmdb::error(cursor.rc(), "journal: cursor");
  MDB_val key{sizeof(from_seq), &from_seq}, value;
  int rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_SET_RANGE);
  while (rc == 0) {
    Seq seq = 0;
    std::memcpy(&seq, key.mv_data, sizeof(seq));
    if (!visit(seq, lmdb::view_of(value))) return Status::ok();
    rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT);
  }
  if (rc != MDB_NOTFOUND) return lmdb::error(rc, "journal: read");
  return Status::ok();
}

Status Journal::scan_marks(const std::function<bool(Seq, const Digest256&)>& visit) const {
  std::shared_lock lock(resize_mutex_);
  lmdb::ReadTxn txn(env_of(env_));
  if (txn.rc() != 0) return lmdb::error(txn.rc(), "journal: begin read");
  lmdb::Cursor cursor(txn.get(), marks_dbi_);
  if (cursor.rc() != 0) return lmdb::error(cursor.rc(), "journal: cursor");
  MDB_val key, value;
  int rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_FIRST);
  for (; rc == 0; rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT)) {
    Seq seq = 0;
    std::memcpy(&seq, key.mv_data, sizeof(seq));
    if (value.mv_size != sizeof(Digest256)) {
      return Status::error(Status::Code::corruption,
                           "journal mark at seq " + std::to_string(seq) + ": wrong size");
    }
    Digest256 digest;
    std::memcpy(digest.data(), value.mv_data, digest.size());
    if (!visit(seq, digest)) return Status::ok();
  }
  if (rc != MDB_NOTFOUND) return lmdb::error(rc, "journal: read marks");
  return Status::ok();
}

}  // namespace auction::persistence
