// The journal's chain digest: d(0) = 32 zero bytes, d(n) = SHA-256(d(n-1) || record n).
//
// Contract: the digest after record n commits to every record up to n, byte for byte, so a
// transaction confirmation that quotes d(seq of its close) can be checked by anyone holding the
// journal (auction-replay recomputes it). Threading: a ChainDigest is used by one thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace auction::persistence {

using Digest256 = std::array<std::uint8_t, 32>;

std::string to_hex(const Digest256& digest);

class ChainDigest {
 public:
  ChainDigest();
  explicit ChainDigest(const Digest256& start);
  ~ChainDigest();
  ChainDigest(const ChainDigest&) = delete;
  ChainDigest& operator=(const ChainDigest&) = delete;

  // Folds one record in and returns the new digest.
  const Digest256& add(std::string_view record);
  const Digest256& value() const { return value_; }
  void reset(const Digest256& value) { value_ = value; }

 private:
  Digest256 value_{};
  void* context_;  // EVP_MD_CTX, reused across records
  // EVP_MD, fetched once: OpenSSL 3 looks up EVP_sha256() in its provider tables at every
  // init, which cost more than the hash itself (bench/RESULTS.md, "The chain digest").
  void* md_;
};

}  // namespace auction::persistence
