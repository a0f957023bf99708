// Capacities of the engine, all in one place, and what happens at each.
//
// Contract: memory for every capacity is reserved when the Engine is constructed; nothing grows
// afterwards. At a limit the command is refused with CommandError::limit_reached and the state is
// unchanged:
//   - max_lots: CreateLot is refused. Lots are kept after they close (their history is part of
//     the state); archiving old lots is the operator's job (a fresh data directory).
//   - max_qualifications: QualifyBidder of a new (lot, bidder) pair is refused.
//   - max_catalogue_lots: a CreateLots with more lots is refused (invalid_config, field "lots").
// Fixed limits live beside the types they bound: ids ≤ 32 chars, titles ≤ 200 bytes, amounts
// ≤ 10^15, durations ≤ 366 days, times ≤ year 9999 (auction/engine/types.h).
// Threading: plain values.
#pragma once

#include <cstdint>

namespace auction {

struct EngineLimits {
  std::uint32_t max_lots = 100'000;
  std::uint32_t max_qualifications = 1'000'000;
  std::uint32_t max_catalogue_lots = 10'000;

  static constexpr std::uint32_t kMaxLotsCeiling = 10'000'000;
  static constexpr std::uint32_t kMaxQualificationsCeiling = 100'000'000;

  constexpr bool valid() const {
    return max_lots >= 1 && max_lots <= kMaxLotsCeiling && max_qualifications >= 1 &&
           max_qualifications <= kMaxQualificationsCeiling && max_catalogue_lots >= 1;
  }
};

}  // namespace auction
