// The demo catalogue: a few lots with short, staggered timings so a newcomer sees every phase
// within minutes of starting the demo.
#pragma once

#include <string>
#include <vector>

#include "auction/engine/lot_config.h"

namespace auction {

inline std::vector<LotConfig> demo_catalogue(TimeMs now_ms) {
  struct Item {
    const char* id;
    const char* title;
    AmountMinor start, increment, reserve;
    DurationMs starts_in, timed, extension;
  };
  const Item items[] = {
      {"lamp", "Art deco table lamp", 10'000, 500, 15'000, 0, 120'000, 30'000},
      {"vase", "Blue glass vase", 5'000, 250, 0, 30'000, 90'000, 20'000},
      {"clock", "Brass mantel clock", 20'000, 1'000, 30'000, 60'000, 0, 60'000},
      {"print", "Woodblock print, 1890s", 8'000, 400, 0, 120'000, 180'000, 30'000},
  };
  std::vector<LotConfig> lots;
  for (const Item& item : items) {
    LotConfig config;
    config.id = *LotId::parse(item.id);
    config.title = *Title::parse(item.title);
    config.seller = *UserId::parse("gallery");
    config.currency = *CurrencyCode::parse("EUR");
    config.start_price_minor = item.start;
    config.increment_minor = item.increment;
    config.reserve_minor = item.reserve;
    config.starts_at_ms = now_ms + item.starts_in;
    config.timed_ms = item.timed;
    config.extension_ms = item.extension;
    lots.push_back(config);
  }
  return lots;
}

// A lot open at once in its extension phase for a day (load tests: every bid moves its deadline).
inline LotConfig open_demo_lot(unsigned i, TimeMs now_ms) {
  LotConfig config;
  config.id = *LotId::parse("open-" + std::to_string(i));
  config.title = *Title::parse("Open lot " + std::to_string(i));
  config.seller = *UserId::parse("gallery");
  config.currency = *CurrencyCode::parse("EUR");
  config.start_price_minor = 1'000;
  config.increment_minor = 50;
  config.starts_at_ms = now_ms;
  config.timed_ms = 0;
  config.extension_ms = 24LL * 3'600 * 1'000;
  return config;
}

}  // namespace auction
