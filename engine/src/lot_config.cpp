#include "auction/engine/lot_config.h"

namespace auction {
namespace {

std::optional<ConfigProblem> problem(std::string_view field, std::string_view message) {
  return ConfigProblem{field, message};
}

}  // namespace

LotConfig with_defaults(LotConfig config) {
  if (config.reserve_minor == 0) config.reserve_minor = config.start_price_minor;
  return config;
}

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
  return std::nullopt;
}

}  // namespace auction
