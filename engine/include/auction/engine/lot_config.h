// A lot's configuration (SPEC §2) and its validation.
//
// Contract: validate_lot_config() accepts exactly the configurations SPEC §2 allows and names the
// first offending field otherwise. All times are absolute (`now+DURATION` is resolved by whoever
// builds the config). Threading: plain values and a pure function.
#pragma once

#include <string_view>
#include <vector>

#include "auction/engine/types.h"

namespace auction {

// One band of an increment table (SPEC §4.1): from `from_minor` on, bids rise by
// `increment_minor`.
struct IncrementBand {
  AmountMinor from_minor = 0;
  AmountMinor increment_minor = 0;
  friend bool operator==(const IncrementBand&, const IncrementBand&) = default;
};
inline constexpr std::size_t kMaxIncrementBands = 32;

// A priority purchaser's right on a lot (SPEC §4.3): it may match the best bid's price. Rank 1 is
// the first order; between two purchasers the lower rank wins.
struct PriorityGrant {
  UserId bidder;
  std::uint32_t rank = 0;  // 1..kMaxPriorityRank
  friend bool operator==(const PriorityGrant&, const PriorityGrant&) = default;
};
inline constexpr std::size_t kMaxPriorityGrants = 16;  // per lot
inline constexpr std::uint32_t kMaxPriorityRank = 99;

// The fields a bid reads come first, beside the id, so that a bid touches few cache lines.
struct LotConfig {
  LotId id;
  AmountMinor start_price_minor = 0;  // first admissible bid, ≥ 1
  AmountMinor increment_minor = 0;    // minimum raise, ≥ 1
  AmountMinor deposit_minor = 0;      // 0 = no deposit needed to bid
  DurationMs extension_ms = 0;        // countdown of the extension phase
  // SPEC §4.1: bands ascending from 0; empty = `increment_minor` at every price. With a table,
  // `increment_minor` is the table's increment at the start price.
  std::vector<IncrementBand> increments;
  bool max_bids = true;           // SPEC §4.2: bidders may leave a maximum
  AmountMinor reserve_minor = 0;  // ≥ start price; 0 means "same as the start price"
  TimeMs starts_at_ms = 0;
  DurationMs timed_ms = 0;        // length of the timed phase
  TimeMs latest_close_at_ms = 0;  // hard cap; 0 = none
  UserId seller;
  CurrencyCode currency;
  Title title;
  // SPEC §4.3: granted one by one (GrantPriority) while the lot is scheduled; an edit keeps them.
  // Off the bid path's cache lines: only lots with grants read it.
  std::vector<PriorityGrant> priority;

  friend bool operator==(const LotConfig&, const LotConfig&) = default;
};

// Why a configuration was refused: the field and a sentence for people.
struct ConfigProblem {
  std::string_view field;
  std::string_view message;
};

// Returns nothing when `config` is valid, otherwise the first problem found.
std::optional<ConfigProblem> validate_lot_config(const LotConfig& config);

// validate_lot_config() and the rules that depend on the clock (SPEC §2): a lot created at
// `now_ms` must not have its latest close in the past nor be over before it is created. What the
// engine checks of a new lot's configuration, for whoever wants to check before sending (a dry
// run).
std::optional<ConfigProblem> check_new_lot(const LotConfig& config, TimeMs now_ms);

// `config` with its defaults filled in (reserve = start price when unset; with a table and no
// increment, the table's increment at the start price).
LotConfig with_defaults(LotConfig config);

// SPEC §4: inc(x), the increment that applies at price `price_minor`, and next(x) = x + inc(x).
// O(bands) with a table, O(1) without (inline: it is on every bid's path). `config` must be
// valid.
AmountMinor band_increment_at(const LotConfig& config, AmountMinor price_minor);
inline AmountMinor increment_at(const LotConfig& config, AmountMinor price_minor) {
  return config.increments.empty() ? config.increment_minor
                                   : band_increment_at(config, price_minor);
}
inline AmountMinor next_price(const LotConfig& config, AmountMinor price_minor) {
  return price_minor + increment_at(config, price_minor);
}

// SPEC §4.3: lots with priority purchasers refuse maximum bids, whatever `max_bids` says.
inline bool allows_max_bids(const LotConfig& config) {
  return config.max_bids && config.priority.empty();
}
// The rank of `bidder`'s priority right on the lot; 0 when it holds none.
std::uint32_t priority_rank(const LotConfig& config, const UserId& bidder);

}  // namespace auction
