#include "auction/persistence/record_codec.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>

#include "auction/engine/binary_codec.h"

namespace auction::persistence {
namespace {

// Command kinds on disk. Never renumber: journals outlive the code that wrote them.
enum class Kind : std::uint8_t {
  create_lot = 1,
  edit_lot = 2,
  qualify = 3,
  bid = 4,
  pause = 5,
  resume = 6,
  cancel = 7,
  tick = 8,
  restart = 9,
  create_lots = 10,
  external_input = 11,
  max_bid = 12,
  grant_priority = 13,
};

// Header flags. A record without them is byte for byte what earlier versions wrote.
constexpr std::uint16_t kFlagLotRules = 1;  // each lot config is followed by its rules

// Whether the command's lot configs need their rules written (anything but the defaults).
bool needs_rules(const CommandBody& body) {
  if (const auto* c = std::get_if<CreateLot>(&body)) return has_rules(c->config);
  if (const auto* c = std::get_if<EditLot>(&body)) return has_rules(c->config);
  if (const auto* c = std::get_if<CreateLots>(&body)) {
    return std::any_of(c->configs.begin(), c->configs.end(), has_rules);
  }
  return false;
}

struct Encoder {
  ByteWriter& out;
  bool rules;
  void config(const LotConfig& c) const {
    encode_lot_config(out, c);
    if (rules) encode_lot_rules(out, c);
  }
  Kind operator()(const CreateLot& c) const { return config(c.config), Kind::create_lot; }
  Kind operator()(const EditLot& c) const { return config(c.config), Kind::edit_lot; }
  Kind operator()(const PlaceMaxBid& c) const {
    out.text(c.lot.view());
    out.text(c.bidder.view());
    out.integer(c.max_minor);
    return Kind::max_bid;
  }
  Kind operator()(const GrantPriority& c) const {
    out.text(c.lot.view());
    out.text(c.bidder.view());
    out.integer(c.rank);
    return Kind::grant_priority;
  }
  Kind operator()(const QualifyBidder& c) const {
    out.text(c.lot.view());
    out.text(c.bidder.view());
    out.enumeration(c.source);
    return Kind::qualify;
  }
  Kind operator()(const PlaceBid& c) const {
    out.text(c.lot.view());
    out.text(c.bidder.view());
    out.integer(c.amount_minor);
    return Kind::bid;
  }
  Kind operator()(const PauseLot& c) const { return out.text(c.lot.view()), Kind::pause; }
  Kind operator()(const ResumeLot& c) const { return out.text(c.lot.view()), Kind::resume; }
  Kind operator()(const CancelLot& c) const { return out.text(c.lot.view()), Kind::cancel; }
  Kind operator()(const Tick&) const { return Kind::tick; }
  Kind operator()(const Restart&) const { return Kind::restart; }
  Kind operator()(const ExternalInput& c) const {
    return out.text(c.payload), Kind::external_input;
  }
  Kind operator()(const CreateLots& c) const {
    out.integer(static_cast<std::uint32_t>(c.configs.size()));
    for (const LotConfig& each : c.configs)
      config(each);
    return Kind::create_lots;
  }
};

bool decode_payload(Kind kind, bool rules, ByteReader& in, CommandBody& body) {
  const auto config = [&](LotConfig& c) {
    return decode_lot_config(in, c) && (!rules || decode_lot_rules(in, c));
  };
  switch (kind) {
    case Kind::create_lot: {
      CreateLot c;
      if (!config(c.config)) return false;
      body = c;
      return true;
    }
    case Kind::edit_lot: {
      EditLot c;
      if (!config(c.config)) return false;
      body = c;
      return true;
    }
    case Kind::qualify: {
      QualifyBidder c;
      if (!in.id(c.lot, true) || !in.id(c.bidder, true) ||
          !in.enumeration(c.source, QualifySource::waiver)) {
        return false;
      }
      body = c;
      return true;
    }
    case Kind::bid: {
      // Invalid amounts are journaled too (they are answered invalid_amount by the engine).
      PlaceBid c;
      if (!in.id(c.lot, true) || !in.id(c.bidder, true) || !in.integer(c.amount_minor)) {
        return false;
      }
      body = c;
      return true;
    }
    case Kind::pause:
    case Kind::resume:
    case Kind::cancel: {
      LotId lot;
      if (!in.id(lot, true)) return false;
      if (kind == Kind::pause) body = PauseLot{lot};
      if (kind == Kind::resume) body = ResumeLot{lot};
      if (kind == Kind::cancel) body = CancelLot{lot};
      return true;
    }
    case Kind::tick:
      body = Tick{};
      return true;
    case Kind::restart:
      body = Restart{};
      return true;
    case Kind::create_lots: {
      CreateLots c;
      std::uint32_t count = 0;
      // A config takes well over 8 bytes: a count beyond that is corruption, not a huge vector.
      if (!in.integer(count) || count > in.remaining() / 8) return false;
      c.configs.resize(count);
      for (LotConfig& each : c.configs) {
        if (!config(each)) return false;
      }
      body = std::move(c);
      return true;
    }
    case Kind::max_bid: {
      PlaceMaxBid c;
      if (!in.id(c.lot, true) || !in.id(c.bidder, true) || !in.integer(c.max_minor)) return false;
      body = c;
      return true;
    }
    case Kind::grant_priority: {
      GrantPriority c;
      if (!in.id(c.lot, true) || !in.id(c.bidder, true) || !in.integer(c.rank)) return false;
      body = c;
      return true;
    }
    case Kind::external_input: {
      std::string_view payload;
      if (!in.text(payload) || payload.size() > kMaxExternalInputBytes) return false;
      body = ExternalInput{std::string(payload)};
      return true;
    }
  }
  return false;
}

Status corrupt(std::string message) {
  return Status::error(Status::Code::corruption, std::move(message));
}

}  // namespace

void encode_record(const Command& command, std::string& out, const RecordedOutcome* outcome) {
  const std::size_t start = out.size();
  ByteWriter w(out);
  w.integer(static_cast<std::uint8_t>(outcome != nullptr ? 2 : 1));
  const std::size_t kind_at = out.size();
  w.integer(std::uint8_t{0});  // kind, filled in below
  const bool rules = needs_rules(command.body);
  w.integer(rules ? kFlagLotRules : std::uint16_t{0});
  w.integer(command.seq);
  w.integer(command.ts_ms);
  out[kind_at] = static_cast<char>(std::visit(Encoder{w, rules}, command.body));
  if (outcome != nullptr) {
    w.integer(outcome->event_count);
    w.integer(outcome->events_digest);
  }
  w.integer(static_cast<std::uint64_t>(XXH3_64bits(out.data() + start, out.size() - start)));
}

Seq record_seq(std::string_view bytes) {
  Seq seq = 0;
  if (bytes.size() >= kRecordHeaderBytes) std::memcpy(&seq, bytes.data() + 4, sizeof(seq));
  return seq;
}

Status decode_record(std::string_view bytes, Command& out,
                     std::optional<RecordedOutcome>* outcome) {
  if (bytes.size() < kRecordHeaderBytes + kRecordChecksumBytes) return corrupt("record too short");
  const std::string_view body = bytes.substr(0, bytes.size() - kRecordChecksumBytes);
  std::uint64_t stored = 0;
  std::memcpy(&stored, bytes.data() + body.size(), sizeof(stored));
  if (XXH3_64bits(body.data(), body.size()) != stored) return corrupt("checksum mismatch");
  ByteReader in(body);
  std::uint8_t version = 0, kind = 0;
  std::uint16_t flags = 0;
  if (!in.integer(version) || !in.integer(kind) || !in.integer(flags) || !in.integer(out.seq) ||
      !in.integer(out.ts_ms)) {
    return corrupt("truncated header");
  }
  if (version < 1 || version > kRecordFormatVersion) {
    return corrupt("unknown record format version " + std::to_string(version));
  }
  if (kind < 1 || kind > static_cast<std::uint8_t>(Kind::grant_priority)) {
    return corrupt("unknown command kind " + std::to_string(kind));
  }
  if ((flags & ~kFlagLotRules) != 0) return corrupt("unknown flags " + std::to_string(flags));
  if (!is_valid_time(out.ts_ms)) return corrupt("timestamp out of range");
  if (!decode_payload(static_cast<Kind>(kind), (flags & kFlagLotRules) != 0, in, out.body)) {
    return corrupt("malformed payload for command kind " + std::to_string(kind));
  }
  // One encoding per command: the flag is set exactly where a config has rules (fuzz_record).
  if (((flags & kFlagLotRules) != 0) != needs_rules(out.body)) {
    return corrupt("lot rules flag does not match the lot configs");
  }
  RecordedOutcome recorded;
  if (version >= 2 && (!in.integer(recorded.event_count) || !in.integer(recorded.events_digest))) {
    return corrupt("truncated outcome");
  }
  if (!in.done()) return corrupt("trailing bytes");
  if (outcome != nullptr) {
    if (version >= 2) {
      *outcome = recorded;
    } else {
      outcome->reset();
    }
  }
  return Status::ok();
}

}  // namespace auction::persistence
