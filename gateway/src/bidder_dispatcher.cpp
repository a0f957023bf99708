#include "bidder_dispatcher.h"

#include <algorithm>

namespace auction::gateway {

bool TokenBucket::take() {
  const auto now = std::chrono::steady_clock::now();
  tokens_ =
      std::min(burst_, tokens_ + std::chrono::duration<double>(now - refilled_).count() * rate_);
  refilled_ = now;
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

BidderDispatcher::BidderDispatcher(Server::Impl& server, Lane& lane)
    : server_(server),
      lane_(lane),
      limits_(server.options.limits),
      backlog_(limits_.resync_after_frames, limits_.not_reading_timeout),
      bids_(limits_.bids_per_second, limits_.bid_burst),
      messages_(limits_.messages_per_second, limits_.message_burst) {}

BidderDispatcher::~BidderDispatcher() {
  if (id_ != 0) server_.unregister_session(id_);
}

void BidderDispatcher::deliver(const Frame& frame) {
  backlog_.handed();
  post([this, frame] {
    backlog_.taken();
    send(frame);
  });
}

bool BidderDispatcher::wants_event(const LotId& lot) {
  switch (backlog_.on_event(lot)) {
    case Backlog::Verdict::deliver:
      return true;
    case Backlog::Verdict::skip:
      return false;
    case Backlog::Verdict::fell_behind:
      // The session may have found its queue empty, and nothing behind, a moment ago: with no
      // frame left to send, nothing else would make it look again.
      post([this] { resync_due(); });
      return false;
    case Backlog::Verdict::not_reading:
      if (!not_reading_.exchange(true)) {
        post([this] {
          server_.metrics.closed_slow_reader.fetch_add(1);
          close_policy("not reading");
        });
      }
      return false;
  }
  return false;
}

void BidderDispatcher::queue_changed(std::size_t frames) {
  backlog_.queued(frames);
  if (frames != 0) return;
  resync_due();
}

void BidderDispatcher::resync_due() {
  for (const LotId& lot : backlog_.due_resyncs()) {
    // Queued here and now, on this executor: no event published after it can come first.
    if (auto snapshot = server_.board.resync(lot, shared_from_this(), wall_ms())) {
      server_.metrics.resyncs.fetch_add(1);
      send_text(std::move(*snapshot));
    }
  }
}

UserId BidderDispatcher::viewer() const {
  std::lock_guard lock(user_mutex_);
  return user_;
}

void BidderDispatcher::answer(std::uint32_t slot, Seq seq, std::vector<Event> events) {
  post([this, slot, seq, events = std::move(events)] { on_answer(slot, seq, events); });
}

void BidderDispatcher::refuse(std::uint32_t slot) {
  post([this, slot] { on_refused(slot); });
}

void BidderDispatcher::close_revoked() {
  post([this] { close_policy("token revoked"); });
}

void BidderDispatcher::handle(const Request& request, const std::optional<ProtocolError>& problem) {
  // Decoding is cheap; the work a request asks for may not be. Every message, malformed ones
  // included, counts against the rate. Over it, a bid still gets its one answer (`rejected`,
  // SPEC §4), anything else an `error`, both with the request's id.
  if (!messages_.take()) {
    server_.metrics.messages_rate_limited.fetch_add(1);
    if (!problem && is_bid(request.type)) {
      send_text(encode_rejected(request, "rate_limited", board_min_next(request.lot), wall_ms(),
                                spare_text()));
    } else {
      send_text(encode_error("rate_limited", "too many messages",
                             problem ? problem->id : request.id, wall_ms(), spare_text()));
    }
    over_limit();
    return;
  }
  if (problem) {
    server_.metrics.bad_requests.fetch_add(1);
    return send_text(
        encode_error(problem->code, problem->message, problem->id, wall_ms(), spare_text()));
  }
  if (!is_bid(request.type)) rate_limited_in_row_ = 0;  // "in a row" means in a row
  const TimeMs now_ms = wall_ms();
  switch (request.type) {
    case RequestType::ping:
      return send_text(encode_simple("pong", request.id, now_ms, {}, {}, spare_text()));
    case RequestType::login:
      return handle_login(request);
    case RequestType::lots:
      return send_text(server_.board.lots_message(request.id, now_ms));
    case RequestType::subscribe: {
      auto snapshot = server_.board.subscribe(request.lot, shared_from_this(), request.id, now_ms);
      if (!snapshot)
        return send_text(encode_error("unknown_lot", "no such lot", request.id, now_ms));
      return send_text(std::move(*snapshot));
    }
    case RequestType::unsubscribe:
      server_.board.unsubscribe(request.lot, this);
      return send_text(
          encode_simple("unsubscribed", request.id, now_ms, "lot", request.lot.view()));
    case RequestType::bid:
    case RequestType::max_bid:
      return handle_bid(request);
    case RequestType::register_lot:
      return handle_register(request);
    case RequestType::orders:
      return handle_orders(request);
    case RequestType::pay:
    case RequestType::confirm_receipt:
    case RequestType::dispute:
      return handle_order_request(request);
  }
}

void BidderDispatcher::handle_login(const Request& request) {
  if (!server_.accounts.verify(request.user, request.token)) {
    return send_text(
        encode_error("auth_failed", "unknown user or wrong token", request.id, wall_ms()));
  }
  {
    std::lock_guard lock(user_mutex_);
    user_ = request.user;
  }
  session_user_ = request.user;
  send_text(encode_simple("login_ok", request.id, wall_ms(), "user", request.user.view()));
}

bool BidderDispatcher::logged_in() const {
  return !session_user_.empty();
}

std::optional<AmountMinor> BidderDispatcher::board_min_next(const LotId& lot) const {
  const auto view = server_.board.find(lot);
  return view ? view->min_next_minor() : std::nullopt;
}

// Rate-limited requests in a row beyond the limit are abuse: close 1008.
bool BidderDispatcher::over_limit() {
  if (++rate_limited_in_row_ < limits_.abuse_rejections) return false;
  server_.metrics.closed_abuse.fetch_add(1);
  close_policy("flooding");
  return true;
}

void BidderDispatcher::handle_bid(const Request& request) {
  server_.metrics.bids_in.fetch_add(1);
  const auto reject = [&](std::string_view code) {
    send_text(encode_rejected(request, code, board_min_next(request.lot), wall_ms(), spare_text()));
  };
  if (!logged_in()) {
    return send_text(encode_error("not_logged_in", "log in to bid", request.id, wall_ms()));
  }
  if (!request.amount_valid) {
    server_.metrics.bids_rejected.fetch_add(1);
    return reject("invalid_amount");
  }
  if (!bids_.take()) {
    server_.metrics.bids_rate_limited.fetch_add(1);
    reject("rate_limited");
    over_limit();
    return;
  }
  rate_limited_in_row_ = 0;
  const auto slot = take_slot(request);
  if (!slot) {
    server_.metrics.bids_unavailable.fetch_add(1);
    return reject("rate_limited");
  }
  const std::uint64_t origin = (id_ << kSlotBits) | *slot;
  CommandBody bid = request.type == RequestType::max_bid
                        ? CommandBody{PlaceMaxBid{request.lot, user(), request.amount_minor}}
                        : CommandBody{PlaceBid{request.lot, user(), request.amount_minor}};
  server_.stage(lane_, std::move(bid), origin);
}

void BidderDispatcher::handle_register(const Request& request) {
  if (!logged_in()) {
    return send_text(encode_error("not_logged_in", "log in to register", request.id, wall_ms()));
  }
  const auto view = server_.board.find(request.lot);
  if (!view) return send_text(encode_error("unknown_lot", "no such lot", request.id, wall_ms()));
  if (view->config.deposit_minor == 0) {
    return send_text(encode_simple("registered", request.id, wall_ms(), "lot", request.lot.view()));
  }
  // The deposit is held first (durable), and only then is the bidder qualified (SPEC §6.2).
  settle(request, settlement::Register{user(), request.lot});
}

void BidderDispatcher::handle_orders(const Request& request) {
  if (!logged_in()) {
    return send_text(encode_error("not_logged_in", "log in first", request.id, wall_ms()));
  }
  if (server_.settlement == nullptr) {
    return send_text(encode_error("unavailable", "settlement is not enabled on this server",
                                  request.id, wall_ms()));
  }
  send_text(encode_orders(request.id, server_.settlement->orders(&user()), wall_ms()));
}

void BidderDispatcher::handle_order_request(const Request& request) {
  if (!logged_in()) {
    return send_text(encode_error("not_logged_in", "log in first", request.id, wall_ms()));
  }
  const LotId order = *LotId::parse(request.order);  // checked by the decoder
  if (request.type == RequestType::pay) return settle(request, settlement::Pay{user(), order});
  if (request.type == RequestType::confirm_receipt) {
    return settle(request, settlement::ConfirmReceipt{user(), order});
  }
  settle(request, settlement::OpenDispute{user(), order, request.reason});
}

// Hands a settlement input over; its answer comes back to this session's executor.
void BidderDispatcher::settle(const Request& request, settlement::InputBody input) {
  if (server_.settlement == nullptr) {
    return send_text(encode_error("unavailable", "settlement is not enabled on this server",
                                  request.id, wall_ms()));
  }
  if (settling_ >= limits_.max_pending_answers) {
    return send_text(
        encode_error("rate_limited", "too many requests in flight", request.id, wall_ms()));
  }
  ++settling_;
  auto done = [self = shared_from_this(), request](const settlement::Answer& answer) {
    BidderDispatcher* session = self.get();
    session->post([session, request, answer] { session->on_settled(request, answer); });
  };
  if (!server_.settlement->submit(std::move(input), std::move(done))) {
    --settling_;
    send_text(
        encode_error("unavailable", "settlement cannot take requests now", request.id, wall_ms()));
  }
}

void BidderDispatcher::on_settled(const Request& request, const settlement::Answer& answer) {
  --settling_;
  if (!answer.ok()) {
    return send_text(encode_error(settlement::settle_error_name(answer.error), answer.message,
                                  request.id, wall_ms()));
  }
  if (request.type == RequestType::register_lot) return qualify(request, answer.held_minor);
  send_text(encode_order(request.id, answer.order ? &*answer.order : nullptr, wall_ms()));
}

// The deposit is held: the engine qualifies the bidder; `registered` once that is journaled.
void BidderDispatcher::qualify(const Request& request, AmountMinor held_minor) {
  Request pending = request;
  pending.amount_minor = held_minor;
  const auto slot = take_slot(pending);
  const auto unavailable = [&] {
    send_text(encode_error("unavailable", "the deposit is held; register again to be qualified",
                           request.id, wall_ms()));
  };
  if (!slot) return unavailable();
  const std::uint64_t origin = (id_ << kSlotBits) | *slot;
  if (!server_.commands.submit(QualifyBidder{request.lot, user(), QualifySource::deposit_held},
                               origin)) {
    release_slot(*slot);
    unavailable();
  }
}

std::optional<std::uint32_t> BidderDispatcher::take_slot(const Request& request) {
  const Pending entry{true, request.type, request.id, request.lot, request.amount_minor};
  if (pending_count_ < pending_.size()) {
    for (std::size_t n = 0; n < pending_.size(); ++n) {
      const std::uint32_t slot = next_slot_;
      next_slot_ = static_cast<std::uint32_t>((next_slot_ + 1) % pending_.size());
      if (!pending_[slot].used) {
        pending_[slot] = entry;
        ++pending_count_;
        return slot;
      }
    }
  }
  if (pending_.size() >= limits_.max_pending_answers) return std::nullopt;
  pending_.push_back(entry);
  ++pending_count_;
  return static_cast<std::uint32_t>(pending_.size() - 1);
}

BidderDispatcher::Pending BidderDispatcher::release_slot(std::uint32_t slot) {
  Pending pending = std::move(pending_[slot]);
  pending_[slot].used = false;
  --pending_count_;
  return pending;
}

void BidderDispatcher::on_answer(std::uint32_t slot, Seq seq, std::span<const Event> events) {
  if (slot >= pending_.size() || !pending_[slot].used) return;
  const Pending pending = release_slot(slot);
  if (pending.type == RequestType::register_lot) return on_qualified(pending, events);
  // The command's answer events: a rejection, or the bid (or maximum) followed by each price it
  // moved; the last of those says who leads now and at what price (SPEC §4.2).
  AcceptedBid answer;
  bool accepted = false;
  for (const Event& event : events) {
    if (const auto* bid = std::get_if<BidAccepted>(&event.body)) {
      accepted = true;
      answer.lot = bid->lot;
      answer.price_minor = bid->amount_minor;
      answer.leading = bid->bidder == user();
      answer.priority_match = bid->priority_match;
      answer.deadline_ms = bid->deadline_ms;
      answer.min_next_minor = bid->min_next_minor;
    } else if (std::holds_alternative<MaxBidAccepted>(event.body)) {
      accepted = true;
    } else if (const auto* rejected = std::get_if<BidRejected>(&event.body)) {
      server_.metrics.bids_rejected.fetch_add(1);
      Request echo;
      echo.type = pending.type;
      echo.id = pending.id;
      echo.lot = rejected->lot;
      echo.amount_valid = true;
      echo.amount_minor = rejected->amount_minor;
      return send_text(encode_rejected(echo, reject_code_name(rejected->code),
                                       rejected->min_next_minor, wall_ms(), spare_text()));
    }
  }
  if (!accepted) return;
  server_.metrics.bids_accepted.fetch_add(1);
  answer.lot = pending.lot;
  answer.max_bid = pending.type == RequestType::max_bid;
  answer.amount_minor = pending.amount_minor;
  answer.seq = seq;
  if (answer.price_minor == 0) {  // a leader raised its maximum: the price did not move
    if (const auto view = server_.board.find(pending.lot)) {
      answer.price_minor = view->price_minor;
      answer.deadline_ms = view->deadline_ms.value_or(0);
      answer.min_next_minor = view->min_next_minor();
    }
  }
  send_text(encode_accepted(pending.id, answer, wall_ms(), spare_text()));
}

void BidderDispatcher::on_qualified(const Pending& pending, std::span<const Event> events) {
  for (const Event& event : events) {
    if (const auto* refused = std::get_if<CommandRejected>(&event.body)) {
      return send_text(encode_error(command_error_name(refused->error), refused->message,
                                    pending.id, wall_ms()));
    }
    if (std::holds_alternative<BidderQualified>(event.body)) {
      return send_text(encode_registered(pending.id, pending.lot, pending.amount_minor, wall_ms()));
    }
  }
}

void BidderDispatcher::on_refused(std::uint32_t slot) {
  if (slot >= pending_.size() || !pending_[slot].used) return;
  const Pending pending = release_slot(slot);
  if (pending.type == RequestType::register_lot) {
    return send_text(encode_error("unavailable",
                                  "the deposit is held; register again to be qualified", pending.id,
                                  wall_ms()));
  }
  server_.metrics.bids_unavailable.fetch_add(1);
  Request echo;
  echo.type = pending.type;
  echo.id = pending.id;
  echo.lot = pending.lot;
  echo.amount_valid = true;
  echo.amount_minor = pending.amount_minor;
  send_text(
      encode_rejected(echo, "unavailable", board_min_next(pending.lot), wall_ms(), spare_text()));
}

}  // namespace auction::gateway
