#include "auction/persistence/chain_digest.h"

#include <openssl/evp.h>

#include "auction/engine/assert.h"

namespace auction::persistence {

std::string to_hex(const Digest256& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (const std::uint8_t byte : digest) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xF]);
  }
  return out;
}

ChainDigest::ChainDigest() : ChainDigest(Digest256{}) {}

ChainDigest::ChainDigest(const Digest256& start)
    : value_(start), context_(EVP_MD_CTX_new()), md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)) {
  AUCTION_ASSERT(context_ != nullptr && md_ != nullptr);
}

ChainDigest::~ChainDigest() {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context_));
  EVP_MD_free(static_cast<EVP_MD*>(md_));
}

const Digest256& ChainDigest::add(std::string_view record) {
  auto* context = static_cast<EVP_MD_CTX*>(context_);
  unsigned int size = 0;
  const bool ok = EVP_DigestInit_ex2(context, static_cast<const EVP_MD*>(md_), nullptr) == 1 &&
                  EVP_DigestUpdate(context, value_.data(), value_.size()) == 1 &&
                  EVP_DigestUpdate(context, record.data(), record.size()) == 1 &&
                  EVP_DigestFinal_ex(context, value_.data(), &size) == 1;
  AUCTION_ASSERT(ok && size == value_.size());
  return value_;
}

}  // namespace auction::persistence
