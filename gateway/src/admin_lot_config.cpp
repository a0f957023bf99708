// The admin API's lot fields (SPEC §2, §4.1-4.2): JSON to a LotConfig, every field checked.
#include <array>

#include "admin_checks.h"

namespace auction::gateway::admin {
namespace {

constexpr std::array<std::string_view, 16> kLotFields = {"id",
                                                         "title",
                                                         "seller",
                                                         "currency",
                                                         "start_price",
                                                         "increment",
                                                         "reserve",
                                                         "deposit",
                                                         "starts_at_ms",
                                                         "starts_in_ms",
                                                         "timed_ms",
                                                         "extension_ms",
                                                         "latest_close_at_ms",
                                                         "latest_close_in_ms",
                                                         "increments",
                                                         "max_bids"};

// A lot configuration from JSON: every field for a new lot (`base` null), or the fields to change
// on top of `base`. `starts_in_ms` is relative to `now_ms`.
}  // namespace

Check lot_config(const Fields& f, const LotConfig* base, TimeMs now_ms, LotConfig& c) {
  if (Check bad = f.only(kLotFields)) return bad;
  if (base == nullptr) {
    for (const std::string_view key : {"id", "title", "seller", "currency", "start_price",
                                       "increment", "timed_ms", "extension_ms"}) {
      // With a table, the increment at the start price is the table's (SPEC §4.1).
      if (key == "increment" && f.has("increments")) continue;
      if (!f.has(key)) return f.missing(key);
    }
    if (!f.has("starts_at_ms") && !f.has("starts_in_ms")) return f.missing("starts_at_ms");
  } else {
    c = *base;
  }
  if (f.has("starts_at_ms") && f.has("starts_in_ms")) {
    return problem(400, "bad_request", "give starts_at_ms or starts_in_ms, not both",
                   "starts_at_ms");
  }
  const bool reserve_was_default =
      base != nullptr && base->reserve_minor == base->start_price_minor;
  std::string_view text_value;
  if (f.has("id")) {
    LotId id;
    if (Check bad = f.id("id", id)) return bad;
    if (base != nullptr && id != base->id) {
      return problem(400, "bad_request", "a lot's id cannot be changed", "id");
    }
    c.id = id;
  }
  if (f.has("title")) {
    if (Check bad = f.text("title", text_value)) return bad;
    const auto title = Title::parse(text_value);
    if (!title) return problem(422, "invalid_config", "title must be 1-200 UTF-8 bytes", "title");
    c.title = *title;
  }
  if (f.has("seller")) {
    if (Check bad = f.id("seller", c.seller)) return bad;
  }
  if (f.has("currency")) {
    if (Check bad = f.text("currency", text_value)) return bad;
    const auto currency = CurrencyCode::parse(text_value);
    if (!currency) {
      return problem(422, "invalid_config", "currency must be an ISO 4217 code such as EUR",
                     "currency");
    }
    c.currency = *currency;
  }
  if (f.has("start_price")) {
    if (Check bad = f.amount("start_price", c.start_price_minor)) return bad;
    if (!f.has("reserve") && reserve_was_default) c.reserve_minor = 0;  // follows the start price
  }
  if (f.has("increment")) {
    if (Check bad = f.amount("increment", c.increment_minor)) return bad;
  }
  if (f.has("reserve")) {
    if (Check bad = f.amount("reserve", c.reserve_minor)) return bad;
  }
  if (f.is_null("increments")) {
    c.increments.clear();
  } else if (f.has("increments")) {
    if (Check bad = f.increments("increments", c.increments)) return bad;
    if (!f.has("increment")) c.increment_minor = 0;  // the table's at the start price
  }
  if (f.has("max_bids")) {
    if (Check bad = f.boolean("max_bids", c.max_bids)) return bad;
  }
  if (f.has("deposit")) {
    if (Check bad = f.amount("deposit", c.deposit_minor, 0)) return bad;
  }
  if (f.has("starts_at_ms")) {
    if (Check bad = f.integer("starts_at_ms", c.starts_at_ms, 0, kMaxTimeMs)) return bad;
  }
  if (f.has("starts_in_ms")) {
    DurationMs in_ms = 0;
    if (Check bad = f.integer("starts_in_ms", in_ms, 0, kMaxDurationMs)) return bad;
    c.starts_at_ms = now_ms + in_ms;
  }
  if (f.has("timed_ms")) {
    if (Check bad = f.integer("timed_ms", c.timed_ms, 0, kMaxDurationMs)) return bad;
  }
  if (f.has("extension_ms")) {
    if (Check bad = f.integer("extension_ms", c.extension_ms, 0, kMaxDurationMs)) return bad;
  }
  if (f.has("latest_close_at_ms") && f.has("latest_close_in_ms")) {
    return problem(400, "bad_request", "give latest_close_at_ms or latest_close_in_ms, not both",
                   "latest_close_at_ms");
  }
  if (f.has("latest_close_in_ms")) {
    DurationMs in_ms = 0;
    if (Check bad = f.integer("latest_close_in_ms", in_ms, 1, kMaxDurationMs)) return bad;
    c.latest_close_at_ms = now_ms + in_ms;
  } else if (f.is_null("latest_close_at_ms")) {
    c.latest_close_at_ms = 0;
  } else if (f.has("latest_close_at_ms")) {
    if (Check bad = f.integer("latest_close_at_ms", c.latest_close_at_ms, 1, kMaxTimeMs)) {
      return bad;
    }
  }
  return std::nullopt;
}

}  // namespace auction::gateway::admin
