// Private: an open-addressing hash index from a key to a dense array position.
//
// The table stores only positions (and a hash tag); keys live in the caller's dense array, and
// the caller's predicate confirms a match. Capacity is fixed at construction at twice the
// maximum number of entries (load ≤ 1/2), so probes stay short and nothing ever reallocates.
// Entries are never removed (lots and qualifications are kept for history).
#pragma once

#include <bit>
#include <cstdint>
#include <optional>
#include <vector>

#include "auction/engine/assert.h"

namespace auction::detail {

class IndexTable {
 public:
  explicit IndexTable(std::uint32_t max_entries)
      : slots_(std::bit_ceil(std::uint64_t{max_entries} * 2)), mask_(slots_.size() - 1) {}

  // The position whose key `matches`, among entries inserted with the same hash.
  template <typename Matches>
  std::optional<std::uint32_t> find(std::uint64_t hash, Matches&& matches) const {
    const std::uint32_t tag = tag_of(hash);
    for (std::uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.position_plus_one == 0) return std::nullopt;
      if (slot.tag == tag && matches(slot.position_plus_one - 1)) {
        return slot.position_plus_one - 1;
      }
    }
  }

  // Starts loading the slot where a probe for `hash` begins (a hint: no effect).
  void prefetch(std::uint64_t hash) const { __builtin_prefetch(&slots_[hash & mask_]); }

  // The caller guarantees the key is absent and the table is below its maximum.
  void insert(std::uint64_t hash, std::uint32_t position) {
    AUCTION_ASSERT(size_ * 2 < slots_.size());
    for (std::uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.position_plus_one == 0) {
        slot = Slot{position + 1, tag_of(hash)};
        ++size_;
        return;
      }
    }
  }

  void clear() {
    for (Slot& slot : slots_)
      slot = Slot{};
    size_ = 0;
  }

 private:
  struct Slot {
    std::uint32_t position_plus_one = 0;  // 0 = empty
    std::uint32_t tag = 0;                // high hash bits: most mismatches skip the key compare
  };
  static std::uint32_t tag_of(std::uint64_t hash) { return static_cast<std::uint32_t>(hash >> 32); }

  std::vector<Slot> slots_;
  std::uint64_t mask_;
  std::uint64_t size_ = 0;
};

}  // namespace auction::detail
