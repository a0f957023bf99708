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

  // Creates or re-keys `user` and returns the new token (the only time it is visible).
  Status issue(const UserId& user, Role role, std::string& token_out);
  Status revoke(const UserId& user);
  bool verify(const UserId& user, std::string_view token) const;
  std::vector<Account> list() const;

 private:
  AccountStore() = default;
  void* env_ = nullptr;
  unsigned dbi_ = 0;
};

}  // namespace auction::persistence
