#include "reference_model.h"

#include <algorithm>

namespace auction::testing {
namespace {

// SPEC §2's defaults: the reserve is the start price; with a table, the increment is the table's
// at the start price.
void defaults(LotConfig& c) {
  if (c.reserve_minor == 0) c.reserve_minor = c.start_price_minor;
  if (c.increment_minor == 0 && !c.increments.empty() && c.increments[0].from_minor == 0) {
    ReferenceModel::Lot probe;
    probe.config = c;
    c.increment_minor = probe.inc(c.start_price_minor);
  }
}

}  // namespace

std::optional<AmountMinor> ReferenceModel::Lot::min_next() const {
  if (over()) return std::nullopt;
  const AmountMinor lowest = price == 0 ? config.start_price_minor : next(price);
  if (lowest > kMaxAmountMinor) return std::nullopt;
  return lowest;
}

const ReferenceModel::Lot* ReferenceModel::find(std::string_view id) const {
  for (const Lot& lot : lots_) {
    if (lot.config.id.view() == id) return &lot;
  }
  return nullptr;
}

ReferenceModel::Lot* ReferenceModel::find_mutable(std::string_view id) {
  return const_cast<Lot*>(find(id));
}

std::vector<Event> ReferenceModel::apply(const Command& command) {
  out_.clear();
  seq_ = command.seq;
  now_ = command.ts_ms;
  settle(std::holds_alternative<Restart>(command.body));
  std::visit([this](const auto& body) { on(body); }, command.body);
  settle(false);
  return out_;
}

std::optional<TimeMs> ReferenceModel::due(const Lot& lot) const {
  switch (lot.phase) {
    case Phase::scheduled:
      return lot.config.starts_at_ms;
    case Phase::timed:
    case Phase::extension:
      return lot.deadline;
    case Phase::paused:
      return lot.cap != 0 ? std::optional<TimeMs>(lot.cap) : std::nullopt;
    default:
      return std::nullopt;
  }
}

// Repeatedly handles the earliest due lot (ties: the earliest created).
void ReferenceModel::settle(bool outage) {
  for (;;) {
    Lot* next = nullptr;
    TimeMs next_due = 0;
    for (Lot& lot : lots_) {
      const auto d = due(lot);
      if (d && *d <= now_ && (next == nullptr || *d < next_due)) {
        next = &lot;
        next_due = *d;
      }
    }
    if (next == nullptr) return;
    fire(*next, next_due, outage);
  }
}

void ReferenceModel::fire(Lot& lot, TimeMs at, bool outage) {
  const LotConfig& c = lot.config;
  if (lot.phase == Phase::scheduled) {
    lot.phase = c.timed_ms > 0 ? Phase::timed : Phase::extension;
    lot.deadline = cap_at(lot.cap, at + (c.timed_ms > 0 ? c.timed_ms : c.extension_ms));
    // After an outage, a phase that also ended during it passes without an event of its own.
    if (outage && lot.deadline <= now_) return fire(lot, lot.deadline, outage);
    return phase_event(lot);
  }
  const bool extension_ends_in_outage = outage && cap_at(lot.cap, at + c.extension_ms) <= now_;
  if (lot.phase == Phase::timed && !(lot.cap != 0 && at >= lot.cap) && c.extension_ms > 0 &&
      !extension_ends_in_outage) {
    lot.phase = Phase::extension;
    lot.deadline = cap_at(lot.cap, at + c.extension_ms);
    return phase_event(lot);
  }
  if (!outage) return close(lot, at);
  // Outage rule: no retroactive close; the bidders get restart + max(extension, 1 min).
  const TimeMs grace = now_ + std::max<DurationMs>(c.extension_ms, 60'000);
  if (lot.cap != 0) lot.cap = std::max(lot.cap, grace);
  if (lot.phase != Phase::paused) {
    lot.phase = Phase::extension;
    lot.deadline = grace;
  }
  phase_event(lot);
}

void ReferenceModel::close(Lot& lot, TimeMs at) {
  const bool met = lot.price != 0 && lot.price >= lot.config.reserve_minor;
  lot.phase = Phase::closed;
  lot.outcome = met ? Outcome::sold : Outcome::unsold;
  lot.closed_at = at;
  lot.deadline = 0;
  lot.remaining = 0;
  phase_event(lot);
  emit(LotClosed{lot.config.id, lot.outcome, met ? *UserId::parse(lot.leader) : UserId{}, lot.price,
                 met, lot.bids, at, lot.config.seller, lot.config.currency, lot.config.title,
                 met ? lot.rank(lot.leader) : 0});
}

void ReferenceModel::phase_event(Lot& lot) {
  lot.seq = seq_;
  std::optional<TimeMs> deadline;
  if (lot.phase == Phase::timed || lot.phase == Phase::extension) deadline = lot.deadline;
  if (lot.phase == Phase::paused && lot.cap != 0) deadline = lot.cap;
  emit(PhaseChanged{lot.config.id, lot.phase, deadline});
}

void ReferenceModel::admin_reject(const LotId& lot, CommandError error, std::string_view field) {
  emit(CommandRejected{lot, error, field, {}});
}

// SPEC §4.3's grants: at most 16 per lot, ranks 1..99, never the seller, one per bidder.
std::optional<std::string_view> ReferenceModel::grant_problem(const LotConfig& c) {
  if (c.priority.size() > 16) return "priority";
  std::set<std::string> seen;
  for (const PriorityGrant& grant : c.priority) {
    if (grant.bidder.empty()) return "priority";
    if (grant.rank < 1 || grant.rank > 99) return "rank";
    if (grant.bidder == c.seller) return "priority";
    if (!seen.insert(std::string(grant.bidder.view())).second) return "priority";
  }
  return std::nullopt;
}

std::optional<std::string_view> ReferenceModel::config_problem(const LotConfig& c) const {
  auto amount_ok = [](AmountMinor a) { return a >= 1 && a <= kMaxAmountMinor; };
  auto duration_ok = [](DurationMs d) { return d >= 0 && d <= kMaxDurationMs; };
  auto time_ok = [](TimeMs t) { return t >= 0 && t <= kMaxTimeMs; };
  auto problem = [](std::string_view field) { return std::optional<std::string_view>(field); };
  if (!amount_ok(c.start_price_minor)) return problem("start_price");
  if (c.increments.size() > 32) return problem("increments");
  for (std::size_t i = 0; i < c.increments.size(); ++i) {
    const IncrementBand& band = c.increments[i];
    if (i == 0 ? band.from_minor != 0
               : band.from_minor <= c.increments[i - 1].from_minor || !amount_ok(band.from_minor)) {
      return problem("increments");
    }
    if (!amount_ok(band.increment_minor)) return problem("increments");
  }
  if (!c.increments.empty()) {
    Lot probe;
    probe.config = c;
    if (c.increment_minor != probe.inc(c.start_price_minor)) return problem("increment");
  }
  if (!amount_ok(c.increment_minor)) return problem("increment");
  if (!amount_ok(c.reserve_minor)) return problem("reserve");
  if (c.reserve_minor < c.start_price_minor) return problem("reserve");
  if (c.deposit_minor != 0 && !amount_ok(c.deposit_minor)) return problem("deposit");
  if (!time_ok(c.starts_at_ms)) return problem("starts_at");
  if (!duration_ok(c.timed_ms)) return problem("timed");
  if (!duration_ok(c.extension_ms)) return problem("extension");
  if (c.timed_ms == 0 && c.extension_ms == 0) return problem("extension");
  if (c.latest_close_at_ms != 0 &&
      (!time_ok(c.latest_close_at_ms) || c.latest_close_at_ms <= c.starts_at_ms)) {
    return problem("latest_close_at");
  }
  if (const auto field = grant_problem(c)) return field;
  if (c.latest_close_at_ms != 0 && c.latest_close_at_ms <= now_) return problem("latest_close_at");
  if (c.starts_at_ms + c.timed_ms + c.extension_ms <= now_) return problem("starts_at");
  return std::nullopt;
}

void ReferenceModel::on(const CreateLot& command) {
  LotConfig c = command.config;
  defaults(c);
  if (const auto field = config_problem(c)) {
    return admin_reject(c.id, CommandError::invalid_config, *field);
  }
  if (find(c.id.view()) != nullptr) return admin_reject(c.id, CommandError::lot_exists);
  if (lots_.size() >= limits_.max_lots) return admin_reject(c.id, CommandError::limit_reached);
  create(c);
}

void ReferenceModel::create(const LotConfig& c) {
  Lot lot;
  lot.config = c;
  lot.cap = c.latest_close_at_ms;
  lot.seq = seq_;
  lots_.push_back(lot);
  emit(LotConfigured{c, true});
}

void ReferenceModel::on(const CreateLots& command) {
  std::vector<LotConfig> configs = command.configs;
  if (configs.empty() || configs.size() > limits_.max_catalogue_lots) {
    return admin_reject(configs.empty() ? LotId{} : configs[0].id, CommandError::invalid_config,
                        "lots");
  }
  for (std::size_t i = 0; i < configs.size(); ++i) {
    LotConfig& c = configs[i];
    defaults(c);
    if (const auto field = config_problem(c)) {
      return admin_reject(c.id, CommandError::invalid_config, *field);
    }
    bool twice = false;
    for (std::size_t j = 0; j < i; ++j)
      twice = twice || configs[j].id == c.id;
    if (twice || find(c.id.view()) != nullptr) return admin_reject(c.id, CommandError::lot_exists);
  }
  if (lots_.size() + configs.size() > limits_.max_lots) {
    return admin_reject(configs[0].id, CommandError::limit_reached);
  }
  for (const LotConfig& c : configs)
    create(c);
}

void ReferenceModel::on(const EditLot& command) {
  LotConfig c = command.config;
  defaults(c);
  Lot* lot = find_mutable(c.id.view());
  if (lot == nullptr) return admin_reject(c.id, CommandError::unknown_lot);
  if (lot->phase != Phase::scheduled) return admin_reject(c.id, CommandError::lot_not_editable);
  c.priority = lot->config.priority;  // only GrantPriority changes the grants
  if (const auto field = config_problem(c)) {
    return admin_reject(c.id, CommandError::invalid_config, *field);
  }
  lot->config = c;
  lot->cap = c.latest_close_at_ms;
  lot->seq = seq_;
  emit(LotConfigured{c, false});
}

void ReferenceModel::on(const GrantPriority& c) {
  Lot* lot = find_mutable(c.lot.view());
  if (lot == nullptr) return admin_reject(c.lot, CommandError::unknown_lot);
  if (lot->phase != Phase::scheduled) return admin_reject(c.lot, CommandError::lot_not_editable);
  LotConfig config = lot->config;
  bool held = false;
  for (PriorityGrant& grant : config.priority) {
    if (grant.bidder == c.bidder) {
      grant.rank = c.rank;
      held = true;
    }
  }
  if (!held) config.priority.push_back(PriorityGrant{c.bidder, c.rank});
  if (const auto field = grant_problem(config)) {
    return admin_reject(c.lot, CommandError::invalid_config, *field);
  }
  lot->config = config;
  lot->seq = seq_;
  emit(LotConfigured{config, false});
}

void ReferenceModel::on(const QualifyBidder& c) {
  const Lot* lot = find(c.lot.view());
  if (lot == nullptr) return admin_reject(c.lot, CommandError::unknown_lot);
  if (lot->over()) return admin_reject(c.lot, CommandError::lot_closed);
  const auto key = std::make_pair(std::string(c.lot.view()), std::string(c.bidder.view()));
  if (!qualified_.contains(key)) {
    if (qualified_.size() >= limits_.max_qualifications) {
      return admin_reject(c.lot, CommandError::limit_reached);
    }
    qualified_.insert(key);
  }
  emit(BidderQualified{c.lot, c.bidder, c.source});
}

void ReferenceModel::on(const PauseLot& c) {
  Lot* lot = find_mutable(c.lot.view());
  if (lot == nullptr) return admin_reject(c.lot, CommandError::unknown_lot);
  if (lot->phase == Phase::scheduled) return admin_reject(c.lot, CommandError::lot_not_open);
  if (lot->phase == Phase::paused) return admin_reject(c.lot, CommandError::lot_paused);
  if (lot->over()) return admin_reject(c.lot, CommandError::lot_closed);
  lot->remaining = lot->deadline - now_;
  lot->resume_phase = lot->phase;
  lot->phase = Phase::paused;
  lot->deadline = 0;
  phase_event(*lot);
}

void ReferenceModel::on(const ResumeLot& c) {
  Lot* lot = find_mutable(c.lot.view());
  if (lot == nullptr) return admin_reject(c.lot, CommandError::unknown_lot);
  if (lot->over()) return admin_reject(c.lot, CommandError::lot_closed);
  if (lot->phase != Phase::paused) return admin_reject(c.lot, CommandError::lot_not_paused);
  lot->phase = lot->resume_phase;
  lot->deadline = cap_at(lot->cap, now_ + lot->remaining);
  lot->remaining = 0;
  phase_event(*lot);
}

void ReferenceModel::on(const CancelLot& c) {
  Lot* lot = find_mutable(c.lot.view());
  if (lot == nullptr) return admin_reject(c.lot, CommandError::unknown_lot);
  if (lot->over()) return admin_reject(c.lot, CommandError::lot_closed);
  const bool met = lot->price != 0 && lot->price >= lot->config.reserve_minor;
  lot->phase = Phase::cancelled;
  lot->outcome = Outcome::cancelled;
  lot->closed_at = now_;
  lot->deadline = 0;
  lot->remaining = 0;
  phase_event(*lot);
  emit(LotClosed{lot->config.id, Outcome::cancelled, UserId{}, lot->price, met, lot->bids, now_,
                 lot->config.seller, lot->config.currency, lot->config.title});
}

}  // namespace auction::testing
