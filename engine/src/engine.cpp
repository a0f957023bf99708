// The auction rules of SPEC §2–5. See auction/engine/engine.h for the contract.
#include "auction/engine/engine.h"

#include <algorithm>
#include <unordered_set>

#include "auction/engine/assert.h"
#include "engine_impl.h"

namespace auction {

std::optional<AmountMinor> LotState::min_next_minor() const {
  if (bidding_over()) return std::nullopt;
  // Both terms are ≤ 10^15, so the sum cannot overflow.
  const AmountMinor next =
      price_minor == 0 ? config.start_price_minor : next_price(config, price_minor);
  if (next > kMaxAmountMinor) return std::nullopt;
  return next;
}

Engine::Impl::Impl(const EngineLimits& engine_limits)
    : limits(engine_limits),
      lot_index(engine_limits.max_lots),
      qualification_index(engine_limits.max_qualifications),
      timers(engine_limits.max_lots) {
  AUCTION_ASSERT(limits.valid());
  lots.reserve(limits.max_lots);
  qualifications.reserve(limits.max_qualifications);
}

void Engine::Impl::clear() {
  lots.clear();
  lot_index.clear();
  qualifications.clear();
  qualification_index.clear();
  timers.clear();
  last_seq = 0;
  now_ms = 0;
}

std::optional<std::uint32_t> Engine::Impl::find_lot(const LotId& id) const {
  return lot_index.find(id.hash(), [&](std::uint32_t at) { return lots[at].config.id == id; });
}

std::uint64_t Engine::Impl::qualification_hash(std::uint32_t lot, const UserId& bidder) {
  return bidder.hash() ^ (std::uint64_t{lot} * 0x9E3779B97F4A7C15ULL);
}

std::optional<std::uint32_t> Engine::Impl::find_qualification(std::uint32_t lot,
                                                              const UserId& bidder) const {
  return qualification_index.find(qualification_hash(lot, bidder), [&](std::uint32_t at) {
    return qualifications[at].lot == lot && qualifications[at].bidder == bidder;
  });
}

// ---------------------------------------------------------------------------------------------
// The clock.

std::optional<TimeMs> Engine::Impl::timer_due_ms(const LotState& lot) {
  switch (lot.phase) {
    case Phase::scheduled:
      return lot.config.starts_at_ms;
    case Phase::timed:
    case Phase::extension:
      return lot.deadline_ms;
    case Phase::paused:
      if (lot.close_cap_ms != 0) return lot.close_cap_ms;
      return std::nullopt;
    case Phase::closed:
    case Phase::cancelled:
      return std::nullopt;
  }
  return std::nullopt;
}

void Engine::Impl::sync_timer(std::uint32_t lot) {
  if (const auto due_ms = timer_due_ms(lots[lot])) {
    timers.set(lot, *due_ms);
  } else {
    timers.erase(lot);
  }
}

// Makes the heap's top key exact, so it is the earliest real due time.
void Engine::Impl::settle_top() {
  while (!timers.empty()) {
    const auto top = timers.top();
    const auto due_ms = timer_due_ms(lots[top.lot]);
    AUCTION_ASSERT(due_ms.has_value() && *due_ms >= top.key_ms);
    if (*due_ms == top.key_ms) return;
    timers.set(top.lot, *due_ms);
  }
}

// Keys never exceed real due times, so a top key in the future means nothing is due: the common
// case costs one comparison. A stale key that comes due is moved to its real time first.
void Engine::Impl::advance(Emitter& out, bool outage) {
  while (!timers.empty() && timers.top().key_ms <= now_ms) {
    const auto top = timers.top();
    const auto due_ms = timer_due_ms(lots[top.lot]);
    AUCTION_ASSERT(due_ms.has_value() && *due_ms >= top.key_ms);
    if (*due_ms != top.key_ms) {
      timers.set(top.lot, *due_ms);
      continue;
    }
    fire_timer(top.lot, top.key_ms, out, outage);
  }
}

void Engine::Impl::fire_timer(std::uint32_t lot, TimeMs at_ms, Emitter& out, bool outage) {
  LotState& state = lots[lot];
  const bool capped = state.close_cap_ms != 0 && at_ms >= state.close_cap_ms;
  bool closes = false;
  switch (state.phase) {
    case Phase::scheduled:
      open_lot(lot, at_ms, out, /*announce=*/!outage);
      // After an outage, a phase that ended during it too is passed over silently: the lot's one
      // phase event is the one that holds (SPEC §3).
      if (outage) {
        if (state.deadline_ms <= now_ms) return fire_timer(lot, state.deadline_ms, out, outage);
        announce_phase(lot, out);
      }
      return;
    case Phase::timed:
      // After an outage, an extension that would have ended during it too goes straight to the
      // outage rule: one phase event, with the deadline that holds (SPEC §3).
      if (!capped && state.config.extension_ms > 0 &&
          !(outage && capped_deadline(state, at_ms + state.config.extension_ms) <= now_ms)) {
        enter_extension(lot, at_ms, out);
        return;
      }
      closes = true;
      break;
    case Phase::extension:
    case Phase::paused:
      closes = true;
      break;
    case Phase::closed:
    case Phase::cancelled:
      AUCTION_ASSERT(false && "a finished lot has no timer");
  }
  AUCTION_ASSERT(closes);
  if (outage) {
    defer_close_after_outage(lot, out);
  } else {
    close_lot(lot, at_ms, out);
  }
}

void Engine::Impl::announce_phase(std::uint32_t lot, Emitter& out) {
  LotState& state = lots[lot];
  state.seq = out.seq();
  std::optional<TimeMs> deadline_ms;
  if (state.phase == Phase::timed || state.phase == Phase::extension) {
    deadline_ms = state.deadline_ms;
  } else if (state.phase == Phase::paused && state.close_cap_ms != 0) {
    deadline_ms = state.close_cap_ms;
  }
  out.emit(PhaseChanged{state.config.id, state.phase, deadline_ms});
}

void Engine::Impl::open_lot(std::uint32_t lot, TimeMs at_ms, Emitter& out, bool announce) {
  LotState& state = lots[lot];
  const LotConfig& config = state.config;
  if (config.timed_ms > 0) {
    state.phase = Phase::timed;
    state.deadline_ms = capped_deadline(state, at_ms + config.timed_ms);
  } else {
    state.phase = Phase::extension;  // extension-only mode
    state.deadline_ms = capped_deadline(state, at_ms + config.extension_ms);
  }
  sync_timer(lot);
  if (announce) announce_phase(lot, out);
}

void Engine::Impl::enter_extension(std::uint32_t lot, TimeMs at_ms, Emitter& out) {
  LotState& state = lots[lot];
  state.phase = Phase::extension;
  state.deadline_ms = capped_deadline(state, at_ms + state.config.extension_ms);
  sync_timer(lot);
  announce_phase(lot, out);
}

void Engine::Impl::close_lot(std::uint32_t lot, TimeMs at_ms, Emitter& out) {
  LotState& state = lots[lot];
  state.phase = Phase::closed;
  state.outcome = state.reserve_met() ? Outcome::sold : Outcome::unsold;
  state.closed_at_ms = at_ms;
  state.deadline_ms = 0;
  state.paused_remaining_ms = 0;
  timers.erase(lot);
  announce_phase(lot, out);
  out.emit(LotClosed{
      state.config.id, state.outcome, state.outcome == Outcome::sold ? state.leader : UserId{},
      state.price_minor, state.reserve_met(), state.bid_count, at_ms, state.config.seller,
      state.config.currency, state.config.title,
      state.outcome == Outcome::sold ? priority_rank(state.config, state.leader) : 0});
}

// SPEC §3 outage rule: the lot gets restart + max(extension, 1 min) in the extension phase; a hard
// close that also fell during the outage moves with it, so bidders keep that final chance.
void Engine::Impl::defer_close_after_outage(std::uint32_t lot, Emitter& out) {
  LotState& state = lots[lot];
  const TimeMs deadline_ms = now_ms + std::max(state.config.extension_ms, kOutageGraceMinMs);
  if (state.close_cap_ms != 0) state.close_cap_ms = std::max(state.close_cap_ms, deadline_ms);
  if (state.phase != Phase::paused) {
    state.phase = Phase::extension;
    state.deadline_ms = deadline_ms;
  }
  sync_timer(lot);
  announce_phase(lot, out);
}

// ---------------------------------------------------------------------------------------------
// Admin commands.

bool Engine::Impl::check_new_config(const LotConfig& config, Emitter& out) {
  if (const auto problem = check_new_lot(config, now_ms)) {
    out.emit(
        CommandRejected{config.id, CommandError::invalid_config, problem->field, problem->message});
    return false;
  }
  return true;
}

void Engine::Impl::handle(const CreateLot& command, Emitter& out) {
  const LotConfig config = with_defaults(command.config);
  if (!check_new_config(config, out)) return;
  if (find_lot(config.id)) {
    out.emit(CommandRejected{config.id, CommandError::lot_exists, {}, "a lot with this id exists"});
    return;
  }
  if (lots.size() >= limits.max_lots) {
    out.emit(CommandRejected{
        config.id, CommandError::limit_reached, {}, "the engine holds its maximum number of lots"});
    return;
  }
  add_lot(config, out);
}

void Engine::Impl::add_lot(const LotConfig& config, Emitter& out) {
  const auto lot = static_cast<std::uint32_t>(lots.size());
  LotState& state = lots.emplace_back();
  state.config = config;
  state.close_cap_ms = config.latest_close_at_ms;
  state.seq = out.seq();
  lot_index.insert(config.id.hash(), lot);
  sync_timer(lot);
  out.emit(LotConfigured{config, true});
}

// Every check CreateLot makes, for every lot, before any lot is created: all or nothing.
bool Engine::Impl::check_catalogue(const CreateLots& command, Emitter& out) {
  const std::vector<LotConfig>& configs = command.configs;
  if (configs.empty() || configs.size() > limits.max_catalogue_lots) {
    out.emit(CommandRejected{configs.empty() ? LotId{} : configs.front().id,
                             CommandError::invalid_config, "lots",
                             configs.empty() ? "the catalogue has no lots"
                                             : "the catalogue has more lots than allowed"});
    return false;
  }
  std::unordered_set<std::string_view> seen;  // admin path: allocation is fine here
  for (const LotConfig& raw : configs) {
    const LotConfig config = with_defaults(raw);
    if (!check_new_config(config, out)) return false;
    if (find_lot(config.id) || !seen.insert(raw.id.view()).second) {
      out.emit(CommandRejected{config.id,
                               CommandError::lot_exists,
                               {},
                               "a lot with this id exists or the catalogue names it twice"});
      return false;
    }
  }
  if (lots.size() + configs.size() > limits.max_lots) {
    out.emit(CommandRejected{configs.front().id,
                             CommandError::limit_reached,
                             {},
                             "the engine cannot hold this many more lots"});
    return false;
  }
  return true;
}

void Engine::Impl::handle(const CreateLots& command, Emitter& out) {
  if (!check_catalogue(command, out)) return;
  for (const LotConfig& config : command.configs)
    add_lot(with_defaults(config), out);
}

void Engine::Impl::handle(const EditLot& command, Emitter& out) {
  LotConfig config = with_defaults(command.config);
  const auto lot = find_lot(config.id);
  if (!lot) {
    out.emit(CommandRejected{config.id, CommandError::unknown_lot, {}, "no such lot"});
    return;
  }
  if (lots[*lot].phase != Phase::scheduled) {
    out.emit(CommandRejected{config.id,
                             CommandError::lot_not_editable,
                             {},
                             "a lot can be edited only while it is scheduled"});
    return;
  }
  config.priority = lots[*lot].config.priority;  // granted one by one, kept by an edit (§4.3)
  if (!check_new_config(config, out)) return;
  LotState& state = lots[*lot];
  state.config = config;
  state.close_cap_ms = config.latest_close_at_ms;
  state.seq = out.seq();
  sync_timer(*lot);
  out.emit(LotConfigured{config, false});
}

void Engine::Impl::handle(const GrantPriority& command, Emitter& out) {
  const auto lot = find_lot(command.lot);
  if (!lot) {
    out.emit(CommandRejected{command.lot, CommandError::unknown_lot, {}, "no such lot"});
    return;
  }
  if (lots[*lot].phase != Phase::scheduled) {
    out.emit(CommandRejected{command.lot,
                             CommandError::lot_not_editable,
                             {},
                             "priority rights are granted only while the lot is scheduled"});
    return;
  }
  LotConfig config = lots[*lot].config;
  auto& grants = config.priority;
  const auto held = std::find_if(grants.begin(), grants.end(), [&](const PriorityGrant& grant) {
    return grant.bidder == command.bidder;
  });
  if (held != grants.end()) {
    held->rank = command.rank;
  } else {
    grants.push_back(PriorityGrant{command.bidder, command.rank});
  }
  if (const auto problem = validate_lot_config(config)) {
    out.emit(CommandRejected{command.lot, CommandError::invalid_config, problem->field,
                             problem->message});
    return;
  }
  LotState& state = lots[*lot];
  state.config = std::move(config);
  state.seq = out.seq();
  out.emit(LotConfigured{state.config, false});
}

// The lot an admin command names, or nothing once the command has been refused because the lot
// is unknown or its bidding is over.
std::optional<std::uint32_t> Engine::Impl::running_lot(const LotId& id, Emitter& out) {
  const auto lot = find_lot(id);
  if (!lot) {
    out.emit(CommandRejected{id, CommandError::unknown_lot, {}, "no such lot"});
  } else if (lots[*lot].bidding_over()) {
    out.emit(CommandRejected{id, CommandError::lot_closed, {}, "bidding is over"});
    return std::nullopt;
  }
  return lot;
}

void Engine::Impl::handle(const QualifyBidder& command, Emitter& out) {
  const auto lot = running_lot(command.lot, out);
  if (!lot) return;
  if (!find_qualification(*lot, command.bidder)) {
    if (qualifications.size() >= limits.max_qualifications) {
      out.emit(CommandRejected{command.lot,
                               CommandError::limit_reached,
                               {},
                               "the engine holds its maximum number of qualifications"});
      return;
    }
    const auto at = static_cast<std::uint32_t>(qualifications.size());
    qualifications.push_back(Qualification{*lot, command.bidder, command.source});
    qualification_index.insert(qualification_hash(*lot, command.bidder), at);
  }
  out.emit(BidderQualified{command.lot, command.bidder, command.source});
}

void Engine::Impl::handle(const PauseLot& command, Emitter& out) {
  const auto lot = running_lot(command.lot, out);
  if (!lot) return;
  LotState& state = lots[*lot];
  if (state.phase == Phase::scheduled) {
    out.emit(CommandRejected{command.lot,
                             CommandError::lot_not_open,
                             {},
                             "the lot has not opened yet; edit it instead"});
    return;
  }
  if (state.phase == Phase::paused) {
    out.emit(CommandRejected{command.lot, CommandError::lot_paused, {}, "already paused"});
    return;
  }
  state.paused_remaining_ms = state.deadline_ms - now_ms;  // > 0: advance() ran first
  AUCTION_ASSERT(state.paused_remaining_ms > 0);
  state.resume_phase = state.phase;
  state.phase = Phase::paused;
  state.deadline_ms = 0;
  sync_timer(*lot);
  announce_phase(*lot, out);
}

void Engine::Impl::handle(const ResumeLot& command, Emitter& out) {
  const auto lot = running_lot(command.lot, out);
  if (!lot) return;
  LotState& state = lots[*lot];
  if (state.phase != Phase::paused) {
    out.emit(CommandRejected{command.lot, CommandError::lot_not_paused, {}, "not paused"});
    return;
  }
  state.phase = state.resume_phase;
  state.deadline_ms = capped_deadline(state, now_ms + state.paused_remaining_ms);
  state.paused_remaining_ms = 0;
  sync_timer(*lot);
  announce_phase(*lot, out);
}

void Engine::Impl::handle(const CancelLot& command, Emitter& out) {
  const auto lot = running_lot(command.lot, out);
  if (!lot) return;
  LotState& state = lots[*lot];
  state.phase = Phase::cancelled;
  state.outcome = Outcome::cancelled;
  state.closed_at_ms = now_ms;
  state.deadline_ms = 0;
  state.paused_remaining_ms = 0;
  timers.erase(*lot);
  announce_phase(*lot, out);
  out.emit(LotClosed{state.config.id, Outcome::cancelled, UserId{}, state.price_minor,
                     state.reserve_met(), state.bid_count, now_ms, state.config.seller,
                     state.config.currency, state.config.title});
}

// ---------------------------------------------------------------------------------------------
// The public face.

Engine::Engine(const EngineLimits& limits) : impl_(std::make_unique<Impl>(limits)) {}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

void Engine::apply(const Command& command, EventSink& sink) {
  Impl& impl = *impl_;
  AUCTION_ASSERT(command.seq > impl.last_seq);
  AUCTION_ASSERT(is_valid_time(command.ts_ms) && command.ts_ms >= impl.now_ms);
  impl.last_seq = command.seq;
  impl.now_ms = command.ts_ms;
  Emitter out(sink, command.seq, command.ts_ms);
  if (impl.anything_due()) impl.advance(out, std::holds_alternative<Restart>(command.body));
  std::visit([&](const auto& body) { impl.handle(body, out); }, command.body);
  // A command may make a lot due at once (created or edited to start now): settle it here, so
  // that after apply() no lot is due at now_ms().
  if (impl.anything_due()) impl.advance(out, false);
}

std::optional<TimeMs> Engine::next_deadline_ms() {
  impl_->settle_top();
  if (impl_->timers.empty()) return std::nullopt;
  return impl_->timers.top().key_ms;
}

const LotState* Engine::find_lot(const LotId& lot) const {
  const auto at = impl_->find_lot(lot);
  return at ? &impl_->lots[*at] : nullptr;
}

std::span<const LotState> Engine::lots() const {
  return impl_->lots;
}

bool Engine::is_qualified(const LotId& lot, const UserId& bidder) const {
  const auto at = impl_->find_lot(lot);
  return at && impl_->find_qualification(*at, bidder).has_value();
}

Seq Engine::last_seq() const {
  return impl_->last_seq;
}
TimeMs Engine::now_ms() const {
  return impl_->now_ms;
}
const EngineLimits& Engine::limits() const {
  return impl_->limits;
}

}  // namespace auction
