// What the benchmarks share: where their data goes on disk, and the lots of the peers workload.
// Threading: plain values and one directory per object.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "auction/engine/lot_config.h"

namespace auction::bench {

inline constexpr TimeMs kT0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

// A fresh directory under $AUCTION_BENCH_DIR (default: the system temp directory); removed with
// the object unless $AUCTION_BENCH_KEEP is set (then its path is printed, to time tools on it).
class BenchDir {
 public:
  explicit BenchDir(const char* name = "bench") {
    const char* base = std::getenv("AUCTION_BENCH_DIR");
    std::string pattern =
        ((base != nullptr ? std::filesystem::path(base) : std::filesystem::temp_directory_path()) /
         (std::string("auction-") + name + "-XXXXXX"))
            .string();
    path_ = mkdtemp(pattern.data());
  }
  ~BenchDir() {
    if (std::getenv("AUCTION_BENCH_KEEP") == nullptr) {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
    } else {
      std::fprintf(stderr, "kept %s\n", path_.c_str());
    }
  }
  BenchDir(const BenchDir&) = delete;
  BenchDir& operator=(const BenchDir&) = delete;
  std::string path() const { return path_.string(); }
  std::string sub(const char* name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Lot `i` of the peers workload: open from kT0 in its extension phase for a day, start price
// 1,000, increment 50 (EUR minor units).
inline LotConfig bench_lot(int i) {
  LotConfig config;
  config.id = *LotId::parse("lot-" + std::to_string(i));
  config.title = *Title::parse("Benchmark lot");
  config.seller = *UserId::parse("seller");
  config.currency = *CurrencyCode::parse("EUR");
  config.start_price_minor = 1'000;
  config.increment_minor = 50;
  config.starts_at_ms = kT0;
  config.timed_ms = 0;
  config.extension_ms = 24LL * 3'600 * 1'000;
  return config;
}

}  // namespace auction::bench
