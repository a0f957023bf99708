// Snapshot format (little-endian, version 1):
//   "AUCSNAP1" | u32 version | body | u64 fnv1a64(everything before)
//   body = u64 last_seq | i64 now_ms | u32 lot count | lots | u32 qualification count | quals
//          [| u32 count | (u32 lot | rules | i64 leader_max) …]  for lots with rules (§4.1-4.2)
// The bracketed part is written only when some lot has rules or a maximum, so a state without
// them has the body (and digest) it had before maximum bids existed.
// The state digest is fnv1a64 over the body alone, so it does not depend on the limits or the
// format's framing: two engines that saw the same commands have the same digest.
#include <algorithm>
#include <cstring>
#include <string>

#include "auction/engine/binary_codec.h"
#include "auction/engine/engine.h"
#include "engine_impl.h"

namespace auction {

std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t seed) {
  std::uint64_t hash = seed;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001B3ULL;
  }
  return hash;
}

namespace {

constexpr std::string_view kMagic = "AUCSNAP1";
constexpr std::uint32_t kVersion = 1;

bool has_extension(const LotState& lot) {
  return has_rules(lot.config) || lot.leader_max_minor != lot.price_minor;
}

void write_body(ByteWriter& w, const Engine::Impl& impl) {
  w.integer(impl.last_seq);
  w.integer(impl.now_ms);
  w.integer(static_cast<std::uint32_t>(impl.lots.size()));
  for (const LotState& lot : impl.lots) {
    encode_lot_config(w, lot.config);
    w.enumeration(lot.phase);
    w.enumeration(lot.resume_phase);
    w.integer(lot.price_minor);
    w.text(lot.leader.view());
    w.integer(lot.deadline_ms);
    w.integer(lot.paused_remaining_ms);
    w.integer(lot.close_cap_ms);
    w.integer(lot.bid_count);
    w.integer(lot.seq);
    w.integer(lot.closed_at_ms);
    w.enumeration(lot.outcome);
  }
  w.integer(static_cast<std::uint32_t>(impl.qualifications.size()));
  for (const Qualification& q : impl.qualifications) {
    w.integer(q.lot);
    w.text(q.bidder.view());
    w.enumeration(q.source);
  }
  const auto extended = std::count_if(impl.lots.begin(), impl.lots.end(), has_extension);
  if (extended == 0) return;
  w.integer(static_cast<std::uint32_t>(extended));
  for (std::uint32_t i = 0; i < impl.lots.size(); ++i) {
    if (!has_extension(impl.lots[i])) continue;
    w.integer(i);
    encode_lot_rules(w, impl.lots[i].config);
    w.integer(impl.lots[i].leader_max_minor);
  }
}

bool read_lot(ByteReader& r, LotState& lot) {
  return decode_lot_config(r, lot.config) && !validate_lot_config(lot.config) &&
         r.enumeration(lot.phase, Phase::cancelled) &&
         r.enumeration(lot.resume_phase, Phase::cancelled) && r.integer(lot.price_minor) &&
         r.id(lot.leader, true) && r.integer(lot.deadline_ms) &&
         r.integer(lot.paused_remaining_ms) && r.integer(lot.close_cap_ms) &&
         r.integer(lot.bid_count) && r.integer(lot.seq) && r.integer(lot.closed_at_ms) &&
         r.enumeration(lot.outcome, Outcome::cancelled);
}

// The invariants apply() keeps; a snapshot that breaks them was not written by this engine.
bool lot_is_consistent(const LotState& lot, Seq last_seq, TimeMs now_ms) {
  const bool open = lot.phase == Phase::timed || lot.phase == Phase::extension;
  if (lot.seq > last_seq) return false;
  if ((lot.price_minor == 0) != lot.leader.empty()) return false;
  if (lot.price_minor != 0 && !is_valid_amount(lot.price_minor)) return false;
  if (open && lot.deadline_ms <= now_ms) return false;
  if (!open && lot.deadline_ms != 0) return false;
  if (lot.phase == Phase::paused) {
    if (lot.paused_remaining_ms <= 0) return false;
    if (lot.resume_phase != Phase::timed && lot.resume_phase != Phase::extension) return false;
  } else if (lot.paused_remaining_ms != 0) {
    return false;
  }
  return true;
}

}  // namespace

std::string Engine::snapshot() const {
  std::string out;
  out.reserve(64 + impl_->lots.size() * 400 + impl_->qualifications.size() * 40);
  ByteWriter w(out);
  out.append(kMagic);
  w.integer(kVersion);
  write_body(w, *impl_);
  w.integer(fnv1a64(out));
  return out;
}

std::uint64_t Engine::state_digest() const {
  std::string body;
  ByteWriter w(body);
  write_body(w, *impl_);
  return fnv1a64(body);
}

Status Engine::restore(std::string_view bytes) {
  Impl& impl = *impl_;
  impl.clear();
  const auto fail = [&](std::string message) {
    impl.clear();
    return Status::error(Status::Code::corruption, "snapshot: " + message);
  };
  constexpr std::size_t kHeader = 8 + sizeof(std::uint32_t);
  if (bytes.size() < kHeader + sizeof(std::uint64_t) || bytes.substr(0, 8) != kMagic) {
    return fail("not an engine snapshot (bad magic or too short)");
  }
  std::uint64_t stored_checksum = 0;
  std::memcpy(&stored_checksum, bytes.data() + bytes.size() - 8, 8);
  if (fnv1a64(bytes.substr(0, bytes.size() - 8)) != stored_checksum) {
    return fail("checksum mismatch (the snapshot is corrupted)");
  }
  ByteReader r(bytes.substr(8, bytes.size() - 16));
  std::uint32_t version = 0;
  if (!r.integer(version) || version != kVersion) {
    return fail("unknown version " + std::to_string(version));
  }
  std::uint32_t lot_count = 0;
  if (!r.integer(impl.last_seq) || !r.integer(impl.now_ms) || !r.integer(lot_count)) {
    return fail("truncated header");
  }
  if (lot_count > impl.limits.max_lots) {
    return fail("holds " + std::to_string(lot_count) + " lots, above this engine's max_lots");
  }
  for (std::uint32_t i = 0; i < lot_count; ++i) {
    LotState lot;
    if (!read_lot(r, lot) || !lot_is_consistent(lot, impl.last_seq, impl.now_ms)) {
      return fail("lot #" + std::to_string(i) + " is malformed");
    }
    if (impl.find_lot(lot.config.id))
      return fail("duplicate lot " + std::string(lot.config.id.view()));
    lot.leader_max_minor = lot.price_minor;  // unless the lot is among those with rules below
    impl.lots.push_back(lot);
    impl.lot_index.insert(lot.config.id.hash(), i);
    impl.sync_timer(i);
  }
  std::uint32_t qualification_count = 0;
  if (!r.integer(qualification_count) || qualification_count > impl.limits.max_qualifications) {
    return fail("bad qualification count");
  }
  for (std::uint32_t i = 0; i < qualification_count; ++i) {
    Qualification q;
    if (!r.integer(q.lot) || q.lot >= lot_count || !r.id(q.bidder, false) ||
        !r.enumeration(q.source, QualifySource::waiver) ||
        impl.find_qualification(q.lot, q.bidder)) {
      return fail("qualification #" + std::to_string(i) + " is malformed");
    }
    impl.qualifications.push_back(q);
    impl.qualification_index.insert(Impl::qualification_hash(q.lot, q.bidder), i);
  }
  std::uint32_t extended = 0;
  if (!r.done() && (!r.integer(extended) || extended == 0 || extended > lot_count)) {
    return fail("bad count of lots with rules");
  }
  for (std::uint32_t i = 0; i < extended; ++i) {
    std::uint32_t at = 0;
    if (!r.integer(at) || at >= lot_count) return fail("lot with rules #" + std::to_string(i));
    LotState& lot = impl.lots[at];
    if (!decode_lot_rules(r, lot.config) || validate_lot_config(lot.config) ||
        !r.integer(lot.leader_max_minor) || lot.leader_max_minor < lot.price_minor) {
      return fail("rules of lot " + std::string(lot.config.id.view()) + " are malformed");
    }
  }
  if (!r.done()) return fail("trailing bytes after the last record");
  return Status::ok();
}

}  // namespace auction
