// Users and their login tokens, in an LMDB environment of the data directory.
//
//   "users": user id → u8 role | u8 revoked | 32-byte SHA-256 of the token
//
// Contract: a token is 32 random bytes (OpenSSL RAND_bytes) shown once, base64url-encoded, when
// issued; only its SHA-256 is stored (tokens are high-entropy, so a fast hash is enough to make
// a stolen database useless for logging in). verify() compares in constant time. Issuing a new
// token for a user replaces the old one.
// Threading: all methods are thread-safe (LMDB transactions).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auction/engine/status.h"
#include "auction/engine/types.h"

namespace auction::persistence {

enum class Role : std::uint8_t { bidder = 0, seller = 1, admin = 2 };

std::string_view role_name(Role role);
// A fresh token: 32 random bytes, base64url (also the admin token's format).
Status new_token(std::string& token_out);
std::optional<Role> parse_role(std::string_view name);

// What issue() may do to an existing user.
enum class IssueMode : std::uint8_t {
  create,   // only a new user (Code::invalid_argument "exists" otherwise)
  reissue,  // only an existing user: new token, same role, no longer revoked (not_found otherwise)
  upsert,   // either
};

struct Account {
  UserId user;
  Role role = Role::bidder;
  bool revoked = false;
};

class AccountStore {
 public:
  static Status open(const std::string& directory, std::unique_ptr<AccountStore>& out);
  ~AccountStore();
  AccountStore(const AccountStore&) = delete;
  AccountStore& operator=(const AccountStore&) = delete;

  // Creates or re-keys `user` and returns the new token (the only time it is visible). With
  // IssueMode::reissue the stored role is kept and `role` is ignored.
  Status issue(const UserId& user, Role role, std::string& token_out,
               IssueMode mode = IssueMode::upsert);
  Status revoke(const UserId& user);  // not_found for an unknown user
  bool verify(const UserId& user, std::string_view token) const;
  std::optional<Account> find(const UserId& user) const;
  std::vector<Account> list() const;

  // The stored record of `user` as bytes (role, revoked, token hash: no token), for copying an
  // account to another node of a shard; put_record() stores such bytes as they are
  // (Code::invalid_argument for bytes of another size).
  std::optional<std::string> record(const UserId& user) const;
  Status put_record(const UserId& user, std::string_view record);

 private:
  AccountStore() = default;
  void* env_ = nullptr;
  unsigned dbi_ = 0;
};

}  // namespace auction::persistence
