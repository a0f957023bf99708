#include "auction/engine/binary_codec.h"

#include "auction/engine/assert.h"

namespace auction {

void encode_lot_config(ByteWriter& out, const LotConfig& config) {
  out.text(config.id.view());
  out.text(config.title.view());
  out.text(config.seller.view());
  out.text(config.currency.view());
  out.integer(config.start_price_minor);
  out.integer(config.increment_minor);
  out.integer(config.reserve_minor);
  out.integer(config.deposit_minor);
  out.integer(config.starts_at_ms);
  out.integer(config.timed_ms);
  out.integer(config.extension_ms);
  out.integer(config.latest_close_at_ms);
}

bool decode_lot_config(ByteReader& in, LotConfig& config) {
  // Any configuration a command can carry decodes, valid or not: commands that the engine
  // refused are journaled too. Callers that need a valid one (snapshots) validate after.
  std::string_view title, currency;
  if (!in.id(config.id, true) || !in.text(title) || !in.id(config.seller, true) ||
      !in.text(currency)) {
    return false;
  }
  const auto parsed_title = Title::parse(title);
  if (!parsed_title) return false;
  config.title = *parsed_title;
  if (currency.empty()) {
    config.currency = CurrencyCode{};
  } else if (const auto parsed = CurrencyCode::parse(currency)) {
    config.currency = *parsed;
  } else {
    return false;
  }
  return in.integer(config.start_price_minor) && in.integer(config.increment_minor) &&
         in.integer(config.reserve_minor) && in.integer(config.deposit_minor) &&
         in.integer(config.starts_at_ms) && in.integer(config.timed_ms) &&
         in.integer(config.extension_ms) && in.integer(config.latest_close_at_ms);
}

bool has_rules(const LotConfig& config) {
  return !config.increments.empty() || !config.max_bids || !config.priority.empty();
}

namespace {

// The rules' flags byte: bit 0 is max_bids; bit 1 says that priority grants follow (a byte that
// predates grants is 0 or 1, so older records read as before).
constexpr std::uint8_t kRulesMaxBids = 1;
constexpr std::uint8_t kRulesPriority = 2;

}  // namespace

void encode_lot_rules(ByteWriter& out, const LotConfig& config) {
  AUCTION_ASSERT(config.increments.size() <= 0xFFFF);
  out.integer(static_cast<std::uint16_t>(config.increments.size()));
  for (const IncrementBand& band : config.increments) {
    out.integer(band.from_minor);
    out.integer(band.increment_minor);
  }
  const bool grants = !config.priority.empty();
  out.integer(static_cast<std::uint8_t>((config.max_bids ? kRulesMaxBids : 0) |
                                        (grants ? kRulesPriority : 0)));
  if (!grants) return;
  AUCTION_ASSERT(config.priority.size() <= 0xFF);
  out.integer(static_cast<std::uint8_t>(config.priority.size()));
  for (const PriorityGrant& grant : config.priority) {
    out.text(grant.bidder.view());
    out.integer(grant.rank);
  }
}

bool decode_lot_rules(ByteReader& in, LotConfig& config) {
  std::uint16_t bands = 0;
  std::uint8_t flags = 0;
  // Any table decodes up to its byte count's range; validation judges it (a refused command
  // with a bad table is journaled too).
  if (!in.integer(bands) || bands > in.remaining() / 16) return false;
  config.increments.resize(bands);
  for (IncrementBand& band : config.increments) {
    if (!in.integer(band.from_minor) || !in.integer(band.increment_minor)) return false;
  }
  if (!in.integer(flags) || flags > (kRulesMaxBids | kRulesPriority)) return false;
  config.max_bids = (flags & kRulesMaxBids) != 0;
  config.priority.clear();
  if ((flags & kRulesPriority) == 0) return true;
  std::uint8_t grants = 0;
  // One encoding per config: the flag is set only where grants follow.
  if (!in.integer(grants) || grants == 0 || grants > in.remaining() / 6) return false;
  config.priority.resize(grants);
  for (PriorityGrant& grant : config.priority) {
    if (!in.id(grant.bidder, false) || !in.integer(grant.rank)) return false;
  }
  return true;
}

}  // namespace auction
