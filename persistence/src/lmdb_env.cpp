#include "lmdb_env.h"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>

namespace auction::persistence::lmdb {

Status open_env(const std::string& directory, std::size_t map_size_bytes, unsigned max_dbs,
                bool read_only, MDB_env** out) {
  std::error_code ec;
  if (read_only) {
    if (!std::filesystem::exists(std::filesystem::path(directory) / "data.mdb", ec)) {
      return Status::error(Status::Code::not_found, directory + ": no LMDB data file (data.mdb)");
    }
  } else {
    std::filesystem::create_directories(directory, ec);
    if (ec) return Status::error(Status::Code::io_error, directory + ": " + ec.message());
  }
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc != 0) return error(rc, "mdb_env_create");
  const auto fail = [&](int code, std::string_view doing) {
    mdb_env_close(env);
    return error(code, directory + ": " + std::string(doing));
  };
  if ((rc = mdb_env_set_maxdbs(env, max_dbs)) != 0) return fail(rc, "mdb_env_set_maxdbs");
  // A reader (analyst, replay tool) keeps the map size the writer chose.
  if (!read_only && (rc = mdb_env_set_mapsize(env, map_size_bytes)) != 0) {
    return fail(rc, "mdb_env_set_mapsize");
  }
  // MDB_NOTLS: read transactions are not tied to threads (the pipeline's threads share the env).
  const unsigned flags = MDB_NOTLS | (read_only ? MDB_RDONLY : 0u);
  if ((rc = mdb_env_open(env, directory.c_str(), flags, 0644)) != 0) return fail(rc, "open");
  int stale = 0;
  mdb_reader_check(env, &stale);  // clear reader slots of crashed processes
  *out = env;
  return Status::ok();
}

Status open_dbs(MDB_env* env, const std::string& directory, bool read_only,
                std::initializer_list<DbSpec> dbs) {
  MDB_txn* txn = nullptr;
  if (const int rc = mdb_txn_begin(env, nullptr, read_only ? MDB_RDONLY : 0, &txn); rc != 0) {
    return error(rc, directory + ": begin");
  }
  const unsigned create = read_only ? 0u : static_cast<unsigned>(MDB_CREATE);
  for (const DbSpec& db : dbs) {
    if (const int rc = mdb_dbi_open(txn, db.name, db.flags | create, db.out); rc != 0) {
      mdb_txn_abort(txn);
      if (rc == MDB_NOTFOUND) {
        return Status::error(Status::Code::not_found,
                             directory + ": no \"" + db.name + "\" database");
      }
      return error(rc, directory + ": open " + db.name);
    }
  }
  if (const int rc = mdb_txn_commit(txn); rc != 0) return error(rc, directory + ": commit");
  return Status::ok();
}

}  // namespace auction::persistence::lmdb
