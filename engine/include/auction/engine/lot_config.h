// A lot's configuration (SPEC §2) and its validation.
//
// Contract: validate_lot_config() accepts exactly the configurations SPEC §2 allows and names the
// first offending field otherwise. All times are absolute (`now+DURATION` is resolved by whoever
// builds the config). Threading: plain values and a pure function.
#pragma once

#include <string_view>

#include "auction/engine/types.h"

namespace auction {

// The fields a bid reads come first, beside the id, so that a bid touches few cache lines.
struct LotConfig {
  LotId id;
  AmountMinor start_price_minor = 0;  // first admissible bid, ≥ 1
  AmountMinor increment_minor = 0;    // minimum raise, ≥ 1
  AmountMinor reserve_minor = 0;      // ≥ start price; 0 means "same as the start price"
  AmountMinor deposit_minor = 0;      // 0 = no deposit needed to bid
  TimeMs starts_at_ms = 0;
  DurationMs timed_ms = 0;        // length of the timed phase
  DurationMs extension_ms = 0;    // countdown of the extension phase
  TimeMs latest_close_at_ms = 0;  // hard cap; 0 = none
  UserId seller;
  CurrencyCode currency;
  Title title;

  friend bool operator==(const LotConfig&, const LotConfig&) = default;
};

// Why a configuration was refused: the field and a sentence for people.
struct ConfigProblem {
  std::string_view field;
  std::string_view message;
};

// Returns nothing when `config` is valid, otherwise the first problem found.
std::optional<ConfigProblem> validate_lot_config(const LotConfig& config);

// `config` with its defaults filled in (reserve = start price when unset).
LotConfig with_defaults(LotConfig config);

}  // namespace auction
