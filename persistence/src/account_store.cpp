#include "auction/persistence/account_store.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>

#include "lmdb_env.h"

namespace auction::persistence {
namespace {

constexpr std::size_t kRecordBytes = 2 + 32;

MDB_env* env_of(void* env) {
  return static_cast<MDB_env*>(env);
}

std::array<unsigned char, 32> sha256(std::string_view text) {
  std::array<unsigned char, 32> out{};
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), out.data(), &size, EVP_sha256(), nullptr);
  return out;
}

std::string base64url(const unsigned char* bytes, std::size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (std::size_t i = 0; i < size; ++i) {
    bits = (bits << 8) | bytes[i];
    count += 8;
    while (count >= 6) {
      out.push_back(kAlphabet[(bits >> (count - 6)) & 0x3F]);
      count -= 6;
    }
  }
  if (count > 0) out.push_back(kAlphabet[(bits << (6 - count)) & 0x3F]);
  return out;
}

}  // namespace

Status new_token(std::string& token_out) {
  unsigned char secret[32];
  if (RAND_bytes(secret, sizeof(secret)) != 1) {
    return Status::error(Status::Code::io_error, "no randomness for a token");
  }
  token_out = base64url(secret, sizeof(secret));
  return Status::ok();
}

Status AccountStore::open(const std::string& directory, std::unique_ptr<AccountStore>& out) {
  std::unique_ptr<AccountStore> store(new AccountStore());
  MDB_env* env = nullptr;
  if (Status s = lmdb::open_env(directory, std::size_t{1} << 30, 2, false, &env); !s.is_ok()) {
    return s;
  }
  store->env_ = env;
  MDB_dbi dbi = 0;
  if (Status s = lmdb::open_dbs(env, directory, false, {{"users", 0, &dbi}}); !s.is_ok()) return s;
  store->dbi_ = dbi;
  out = std::move(store);
  return Status::ok();
}

AccountStore::~AccountStore() {
  if (env_ != nullptr) mdb_env_close(env_of(env_));
}

Status AccountStore::issue(const UserId& user, Role role, std::string& token_out, IssueMode mode) {
  std::string token;
  if (Status s = new_token(token); !s.is_ok()) return s;
  const auto hash = sha256(token);
  MDB_txn* txn = nullptr;
  if (const int rc = mdb_txn_begin(env_of(env_), nullptr, 0, &txn); rc != 0) {
    return lmdb::error(rc, "users: begin");
  }
  MDB_val key = lmdb::value_of(user.view()), existing;
  const bool exists = mdb_get(txn, dbi_, &key, &existing) == 0 && existing.mv_size == kRecordBytes;
  if ((mode == IssueMode::create && exists) || (mode == IssueMode::reissue && !exists)) {
    mdb_txn_abort(txn);
    return exists ? Status::error(Status::Code::invalid_argument,
                                  "user " + std::string(user.view()) + " exists")
                  : Status::error(Status::Code::not_found, "no user " + std::string(user.view()));
  }
  if (mode == IssueMode::reissue)
    role = static_cast<Role>(*static_cast<const char*>(existing.mv_data));
  char record[kRecordBytes];
  record[0] = static_cast<char>(role);
  record[1] = 0;
  std::memcpy(record + 2, hash.data(), hash.size());
  MDB_val value{sizeof(record), record};
  if (const int rc = mdb_put(txn, dbi_, &key, &value, 0); rc != 0) {
    mdb_txn_abort(txn);
    return lmdb::error(rc, "users: put");
  }
  if (const int rc = mdb_txn_commit(txn); rc != 0) return lmdb::error(rc, "users: commit");
  token_out = token;
  return Status::ok();
}

Status AccountStore::revoke(const UserId& user) {
  MDB_txn* txn = nullptr;
  if (const int rc = mdb_txn_begin(env_of(env_), nullptr, 0, &txn); rc != 0) {
    return lmdb::error(rc, "users: begin");
  }
  MDB_val key = lmdb::value_of(user.view()), value;
  if (const int rc = mdb_get(txn, dbi_, &key, &value); rc != 0) {
    mdb_txn_abort(txn);
    if (rc == MDB_NOTFOUND) {
      return Status::error(Status::Code::not_found, "no user " + std::string(user.view()));
    }
    return lmdb::error(rc, "users: get " + std::string(user.view()));
  }
  std::string record(static_cast<const char*>(value.mv_data), value.mv_size);
  record[1] = 1;
  MDB_val updated = lmdb::value_of(record);
  if (const int rc = mdb_put(txn, dbi_, &key, &updated, 0); rc != 0) {
    mdb_txn_abort(txn);
    return lmdb::error(rc, "users: put");
  }
  if (const int rc = mdb_txn_commit(txn); rc != 0) return lmdb::error(rc, "users: commit");
  return Status::ok();
}

bool AccountStore::verify(const UserId& user, std::string_view token) const {
  lmdb::ReadTxn txn(env_of(env_));
  if (txn.rc() != 0) return false;
  MDB_val key = lmdb::value_of(user.view()), value;
  if (mdb_get(txn.get(), dbi_, &key, &value) != 0 || value.mv_size != kRecordBytes) return false;
  const auto* record = static_cast<const unsigned char*>(value.mv_data);
  if (record[1] != 0) return false;  // revoked
  const auto hash = sha256(token);
  return CRYPTO_memcmp(hash.data(), record + 2, hash.size()) == 0;
}

std::optional<Account> AccountStore::find(const UserId& user) const {
  lmdb::ReadTxn txn(env_of(env_));
  MDB_val key = lmdb::value_of(user.view()), value;
  if (txn.rc() != 0 || mdb_get(txn.get(), dbi_, &key, &value) != 0 ||
      value.mv_size != kRecordBytes) {
    return std::nullopt;
  }
  const auto* record = static_cast<const unsigned char*>(value.mv_data);
  return Account{user, static_cast<Role>(record[0]), record[1] != 0};
}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::bidder:
      return "bidder";
    case Role::seller:
      return "seller";
    case Role::admin:
      return "admin";
  }
  return "?";
}

std::optional<Role> parse_role(std::string_view name) {
  for (const Role role : {Role::bidder, Role::seller, Role::admin}) {
    if (role_name(role) == name) return role;
  }
  return std::nullopt;
}

std::vector<Account> AccountStore::list() const {
  std::vector<Account> accounts;
  lmdb::ReadTxn txn(env_of(env_));
  if (txn.rc() != 0) return accounts;
  lmdb::Cursor cursor(txn.get(), dbi_);
  MDB_val key, value;
  for (int rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT)) {
    const auto user = UserId::parse(lmdb::view_of(key));
    if (!user || value.mv_size != kRecordBytes) continue;
    const auto* record = static_cast<const unsigned char*>(value.mv_data);
    accounts.push_back(Account{*user, static_cast<Role>(record[0]), record[1] != 0});
  }
  return accounts;
}

std::optional<std::string> AccountStore::record(const UserId& user) const {
  lmdb::ReadTxn txn(env_of(env_));
  if (txn.rc() != 0) return std::nullopt;
  MDB_val key = lmdb::value_of(user.view()), value;
  if (mdb_get(txn.get(), dbi_, &key, &value) != 0 || value.mv_size != kRecordBytes) {
    return std::nullopt;
  }
  return std::string(static_cast<const char*>(value.mv_data), value.mv_size);
}

Status AccountStore::put_record(const UserId& user, std::string_view record) {
  if (record.size() != kRecordBytes || static_cast<unsigned char>(record[0]) > 2 ||
      static_cast<unsigned char>(record[1]) > 1) {
    return Status::error(Status::Code::invalid_argument, "not an account record");
  }
  MDB_txn* txn = nullptr;
  if (const int rc = mdb_txn_begin(env_of(env_), nullptr, 0, &txn); rc != 0) {
    return lmdb::error(rc, "users: begin");
  }
  MDB_val key = lmdb::value_of(user.view());
  MDB_val value = lmdb::value_of(record);
  if (const int rc = mdb_put(txn, dbi_, &key, &value, 0); rc != 0) {
    mdb_txn_abort(txn);
    return lmdb::error(rc, "users: put");
  }
  if (const int rc = mdb_txn_commit(txn); rc != 0) return lmdb::error(rc, "users: commit");
  return Status::ok();
}

}  // namespace auction::persistence
