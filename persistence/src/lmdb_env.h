// Private: small RAII helpers over LMDB shared by the journal, the snapshot store and the
// settlement store.
#pragma once

#include <lmdb.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include <cerrno>

#include "auction/engine/status.h"

namespace auction::persistence::lmdb {

// LMDB's own error text, with what we were doing.
inline Status error(int rc, std::string_view doing) {
  const Status::Code code = rc == MDB_MAP_FULL || rc == ENOSPC ? Status::Code::full
                            : rc == MDB_CORRUPTED || rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH
                                ? Status::Code::corruption
                            : rc == MDB_NOTFOUND || rc == ENOENT ? Status::Code::not_found
                                                                 : Status::Code::io_error;
  return Status::error(code, std::string(doing) + ": " + mdb_strerror(rc));
}

inline MDB_val value_of(std::string_view bytes) {
  return MDB_val{bytes.size(), const_cast<char*>(bytes.data())};
}
inline std::string_view view_of(const MDB_val& value) {
  return {static_cast<const char*>(value.mv_data), value.mv_size};
}

// Opens `directory` as an environment with durable settings only. LMDB's flags that trade
// durability for speed (MDB_NOSYNC, MDB_NOMETASYNC, MDB_MAPASYNC, MDB_WRITEMAP) are never passed:
// a commit returns after the data and the meta page are on disk.
Status open_env(const std::string& directory, std::size_t map_size_bytes, unsigned max_dbs,
                bool read_only, MDB_env** out);

// A named database of an environment and its flags (MDB_INTEGERKEY or 0).
struct DbSpec {
  const char* name;
  unsigned flags;
  MDB_dbi* out;
};

// Opens the databases in one transaction, creating them unless `read_only`. A database that does
// not exist in a read-only environment is Code::not_found, naming it.
Status open_dbs(MDB_env* env, const std::string& directory, bool read_only,
                std::initializer_list<DbSpec> dbs);

// A read-only transaction, aborted on scope exit.
class ReadTxn {
 public:
  explicit ReadTxn(MDB_env* env) { rc_ = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn_); }
  ~ReadTxn() {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
  }
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;
  int rc() const { return rc_; }
  MDB_txn* get() const { return txn_; }

 private:
  MDB_txn* txn_ = nullptr;
  int rc_ = 0;
};

// A cursor, closed on scope exit.
class Cursor {
 public:
  Cursor(MDB_txn* txn, MDB_dbi dbi) { rc_ = mdb_cursor_open(txn, dbi, &cursor_); }
  ~Cursor() {
    if (cursor_ != nullptr) mdb_cursor_close(cursor_);
  }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  int rc() const { return rc_; }
  MDB_cursor* get() const { return cursor_; }

 private:
  MDB_cursor* cursor_ = nullptr;
  int rc_ = 0;
};

}  // namespace auction::persistence::lmdb
