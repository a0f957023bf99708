// Private: an indexed binary min-heap of lot timers, keyed by (time, lot position).
//
// Each lot has at most one entry. The key order is total, so the order in which due lots are
// handled never depends on the heap's layout: two engines with different histories of heap
// operations (e.g. one restored from a snapshot) handle due lots identically.
// Storage for every lot is reserved at construction.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "auction/engine/assert.h"
#include "auction/engine/types.h"

namespace auction::detail {

class DeadlineHeap {
 public:
  struct Entry {
    TimeMs key_ms;
    std::uint32_t lot;
  };

  explicit DeadlineHeap(std::uint32_t max_lots) : position_(max_lots, kAbsent) {
    heap_.reserve(max_lots);
  }

  bool empty() const { return heap_.empty(); }
  const Entry& top() const { return heap_.front(); }
  bool contains(std::uint32_t lot) const { return position_[lot] != kAbsent; }

  // Inserts the lot's timer or moves it to `key_ms`.
  void set(std::uint32_t lot, TimeMs key_ms) {
    if (position_[lot] == kAbsent) {
      position_[lot] = static_cast<std::uint32_t>(heap_.size());
      heap_.push_back(Entry{key_ms, lot});
      sift_up(position_[lot]);
      return;
    }
    const std::uint32_t at = position_[lot];
    const TimeMs old_ms = heap_[at].key_ms;
    heap_[at].key_ms = key_ms;
    if (key_ms < old_ms) {
      sift_up(at);
    } else {
      sift_down(at);
    }
  }

  void erase(std::uint32_t lot) {
    const std::uint32_t at = position_[lot];
    if (at == kAbsent) return;
    const std::uint32_t last = static_cast<std::uint32_t>(heap_.size() - 1);
    swap_entries(at, last);
    heap_.pop_back();
    position_[lot] = kAbsent;
    if (at < heap_.size()) {
      const std::uint32_t moved = heap_[at].lot;  // the former last entry now sits at `at`
      sift_up(at);
      sift_down(position_[moved]);
    }
  }

  void clear() {
    for (const Entry& entry : heap_)
      position_[entry.lot] = kAbsent;
    heap_.clear();
  }

 private:
  static constexpr std::uint32_t kAbsent = std::numeric_limits<std::uint32_t>::max();

  static bool less(const Entry& a, const Entry& b) {
    return a.key_ms < b.key_ms || (a.key_ms == b.key_ms && a.lot < b.lot);
  }

  void swap_entries(std::uint32_t a, std::uint32_t b) {
    std::swap(heap_[a], heap_[b]);
    position_[heap_[a].lot] = a;
    position_[heap_[b].lot] = b;
  }

  void sift_up(std::uint32_t at) {
    while (at > 0) {
      const std::uint32_t parent = (at - 1) / 2;
      if (!less(heap_[at], heap_[parent])) return;
      swap_entries(at, parent);
      at = parent;
    }
  }

  void sift_down(std::uint32_t at) {
    const std::uint32_t size = static_cast<std::uint32_t>(heap_.size());
    for (;;) {
      const std::uint32_t left = 2 * at + 1;
      if (left >= size) return;
      std::uint32_t smallest = left;
      if (left + 1 < size && less(heap_[left + 1], heap_[left])) smallest = left + 1;
      if (!less(heap_[smallest], heap_[at])) return;
      swap_entries(at, smallest);
      at = smallest;
    }
  }

  std::vector<Entry> heap_;
  std::vector<std::uint32_t> position_;  // per lot: index in heap_, or kAbsent
};

}  // namespace auction::detail
