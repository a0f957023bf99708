#include "auction/engine/lot_config.h"

namespace auction {
namespace {

std::optional<ConfigProblem> problem(std::string_view field, std::string_view message) {
  return ConfigProblem{field, message};
}

}  // namespace

std::optional<ConfigProblem> check_new_lot(const LotConfig& config, TimeMs now_ms) {
  if (const auto bad = validate_lot_config(config)) return bad;
  if (config.latest_close_at_ms != 0 && config.latest_close_at_ms <= now_ms) {
    return problem("latest_close_at", "latest close is in the past");
  }
  if (config.starts_at_ms + config.timed_ms + config.extension_ms <= now_ms) {
    return problem("starts_at", "the lot would be over before it is created");
  }
  return std::nullopt;
}

LotConfig with_defaults(LotConfig config) {
  if (config.reserve_minor == 0) config.reserve_minor = config.start_price_minor;
  if (config.increment_minor == 0 && !config.increments.empty() &&
      config.increments.front().from_minor == 0) {
    config.increment_minor = increment_at(config, config.start_price_minor);
  }
  return config;
}

AmountMinor band_increment_at(const LotConfig& config, AmountMinor price_minor) {
  const auto& bands = config.increments;
  for (std::size_t i = bands.size(); i-- > 0;) {
    if (bands[i].from_minor <= price_minor) return bands[i].increment_minor;
  }
  return config.increment_minor;
}

std::uint32_t priority_rank(const LotConfig& config, const UserId& bidder) {
  for (const PriorityGrant& grant : config.priority) {
    if (grant.bidder == bidder) return grant.rank;
  }
  return 0;
}

namespace {

std::optional<ConfigProblem> priority_problem(const LotConfig& config) {
  const auto& grants = config.priority;
  if (grants.size() > kMaxPriorityGrants) {
    return problem("priority", "a lot has at most 16 priority purchasers");
  }
  for (std::size_t i = 0; i < grants.size(); ++i) {
    if (grants[i].bidder.empty()) return problem("priority", "a priority right names a bidder");
    if (grants[i].rank < 1 || grants[i].rank > kMaxPriorityRank) {
      return problem("rank", "a priority rank is an integer from 1 to 99");
    }
    if (grants[i].bidder == config.seller) {
      return problem("priority", "the seller cannot hold a priority right on its own lot");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (grants[j].bidder == grants[i].bidder) {
        return problem("priority", "a bidder holds at most one priority right per lot");
      }
    }
  }
  return std::nullopt;
}

std::optional<ConfigProblem> table_problem(const LotConfig& config) {
  const auto& bands = config.increments;
  if (bands.size() > kMaxIncrementBands) {
    return problem("increments", "an increment table has at most 32 bands");
  }
  for (std::size_t i = 0; i < bands.size(); ++i) {
    if (i == 0 && bands[i].from_minor != 0) {
      return problem("increments", "the first band of an increment table starts at 0");
    }
    if (i > 0 &&
        (bands[i].from_minor <= bands[i - 1].from_minor || !is_valid_amount(bands[i].from_minor))) {
      return problem("increments", "bands must start at ascending amounts up to 10^15");
    }
    if (!is_valid_amount(bands[i].increment_minor)) {
      return problem("increments", "each band's increment must be an integer from 1 to 10^15");
    }
  }
  if (!bands.empty() && config.increment_minor != increment_at(config, config.start_price_minor)) {
    return problem("increment", "with an increment table, increment is the table's at the start");
  }
  return std::nullopt;
}

}  // namespace

std::optional<ConfigProblem> validate_lot_config(const LotConfig& config) {
  if (config.id.empty()) return problem("id", "lot id must be 1-32 characters of [A-Za-z0-9_-]");
  if (config.title.empty()) return problem("title", "title must be 1-200 bytes of UTF-8");
  if (config.seller.empty()) {
    return problem("seller", "seller must be a user id of 1-32 characters of [A-Za-z0-9_-]");
  }
  if (config.currency.empty()) {
    return problem("currency", "currency must be an ISO 4217 code of three capital letters");
  }
  if (!is_valid_amount(config.start_price_minor)) {
    return problem("start_price", "start price must be an integer from 1 to 10^15");
  }
  if (const auto bad_table = table_problem(config)) return bad_table;
  if (!is_valid_amount(config.increment_minor)) {
    return problem("increment", "increment must be an integer from 1 to 10^15");
  }
  if (!is_valid_amount(config.reserve_minor)) {
    return problem("reserve", "reserve must be an integer from 1 to 10^15");
  }
  if (config.reserve_minor < config.start_price_minor) {
    return problem("reserve", "reserve must not be below the start price");
  }
  if (config.deposit_minor != 0 && !is_valid_amount(config.deposit_minor)) {
    return problem("deposit", "deposit must be 0 (none) or an integer from 1 to 10^15");
  }
  if (!is_valid_time(config.starts_at_ms)) {
    return problem("starts_at", "start time must lie between 1970 and 9999");
  }
  if (!is_valid_duration(config.timed_ms)) {
    return problem("timed", "timed phase must last from 0 to 366 days");
  }
  if (!is_valid_duration(config.extension_ms)) {
    return problem("extension", "extension must last from 0 to 366 days");
  }
  if (config.timed_ms + config.extension_ms == 0) {
    return problem("extension", "timed and extension cannot both be 0");
  }
  if (config.latest_close_at_ms != 0) {
    if (!is_valid_time(config.latest_close_at_ms)) {
      return problem("latest_close_at", "latest close must lie between 1970 and 9999");
    }
    if (config.latest_close_at_ms <= config.starts_at_ms) {
      return problem("latest_close_at", "latest close must be after the start");
    }
  }
  return priority_problem(config);
}

}  // namespace auction
