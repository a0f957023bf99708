// A connection's queue of unsent frames (gateway/src/outbound_queue.h): frames leave in the order
// queued, its byte count is exact, sent answers' buffers are reused within their bounds, and a
// text's bytes stay where they are while the ring grows (a write under way points at them).
// Checked against a plain deque with seeded random operations: AUCTION_SEED replays a seed,
// printed on failure.
#include "outbound_queue.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

using auction::gateway::Frame;
using auction::gateway::OutboundQueue;

namespace {

Frame shared_text(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

std::vector<std::string> texts(const OutboundQueue& queue) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < queue.size(); ++i)
    out.emplace_back(queue.text(i));
  return out;
}

}  // namespace

TEST_CASE("Outbound queue: shared and own frames leave in the order queued") {
  OutboundQueue queue;
  CHECK(queue.empty());
  queue.push(shared_text("event one"));
  queue.push(std::string("answer one"));
  queue.push(shared_text("event two"));
  CHECK(queue.size() == 3);
  CHECK(queue.bytes() == 9 + 10 + 9);
  CHECK(texts(queue) == std::vector<std::string>{"event one", "answer one", "event two"});
  queue.pop();
  CHECK(texts(queue) == std::vector<std::string>{"answer one", "event two"});
  CHECK(queue.bytes() == 19);
  queue.pop();
  queue.pop();
  CHECK(queue.empty());
  CHECK(queue.bytes() == 0);
}

TEST_CASE("Outbound queue: a sent answer's buffer serves the next answer") {
  OutboundQueue queue;
  CHECK(queue.take_spare().capacity() < 100);  // none kept yet
  std::string answer(150, 'a');
  const char* const bytes = answer.data();
  queue.push(std::move(answer));
  queue.pop();
  std::string spare = queue.take_spare();
  CHECK(spare.empty());
  CHECK(spare.capacity() >= 150);
  CHECK(spare.data() == bytes);                // the same allocation, not a new one
  CHECK(queue.take_spare().capacity() < 100);  // taken: gone from the spares

  SUBCASE("a shared frame leaves no spare") {
    queue.push(shared_text(std::string(150, 'e')));
    queue.pop();
    CHECK(queue.take_spare().capacity() < 100);
  }
  SUBCASE("a big reply's buffer is not kept") {
    queue.push(std::string(OutboundQueue::kMaxSpareBytes + 1, 'l'));
    queue.pop();
    CHECK(queue.take_spare().capacity() < 100);
  }
  SUBCASE("at most kMaxSpares are kept") {
    for (std::size_t i = 0; i < OutboundQueue::kMaxSpares + 5; ++i)
      queue.push(std::string(100, 'x'));
    for (std::size_t i = 0; i < OutboundQueue::kMaxSpares + 5; ++i)
      queue.pop();
    for (std::size_t i = 0; i < OutboundQueue::kMaxSpares; ++i)
      CHECK(queue.take_spare().capacity() >= 100);
    CHECK(queue.take_spare().capacity() < 100);
  }
}

TEST_CASE("Outbound queue: texts stay in place while the ring grows around the wrap") {
  OutboundQueue queue;
  for (int i = 0; i < 6; ++i)
    queue.push(std::to_string(i));
  for (int i = 0; i < 4; ++i)
    queue.pop();  // the head is now past the start of the ring
  std::vector<const char*> before;
  for (int i = 6; i < 12; ++i)
    queue.push(std::to_string(i));  // a short text too: it must not live inside its slot
  for (std::size_t i = 0; i < queue.size(); ++i)
    before.push_back(queue.text(i).data());
  for (int i = 12; i < 100; ++i)
    queue.push(shared_text(std::to_string(i)));  // the ring doubles several times
  for (std::size_t i = 0; i < before.size(); ++i)
    CHECK(queue.text(i).data() == before[i]);
  for (int i = 4; i < 100; ++i) {
    REQUIRE(queue.text(0) == std::to_string(i));
    queue.pop();
  }
  CHECK(queue.empty());
}

TEST_CASE("Outbound queue: dropping the unsent keeps the frames under way") {
  OutboundQueue queue;
  for (int i = 0; i < 10; ++i) {
    if (i % 2 == 0) {
      queue.push(shared_text("s" + std::to_string(i)));
    } else {
      queue.push("o" + std::to_string(i));
    }
  }
  queue.truncate(3);
  CHECK(texts(queue) == std::vector<std::string>{"s0", "o1", "s2"});
  CHECK(queue.bytes() == 6);
  queue.push(std::string("after"));
  CHECK(texts(queue) == std::vector<std::string>{"s0", "o1", "s2", "after"});
  queue.truncate(0);
  CHECK(queue.empty());
  CHECK(queue.bytes() == 0);
}

TEST_CASE("Outbound queue: seeded random pushes, pops and drops match a plain deque") {
  const std::uint64_t seed = std::getenv("AUCTION_SEED") != nullptr
                                 ? std::strtoull(std::getenv("AUCTION_SEED"), nullptr, 10)
                                 : std::random_device{}();
  INFO("seed " << seed << " (AUCTION_SEED=" << seed << " replays it)");
  std::mt19937_64 random(seed);
  OutboundQueue queue;
  std::deque<std::string> reference;
  std::size_t reference_bytes = 0;
  for (int step = 0; step < 20'000; ++step) {
    const auto roll = random() % 100;
    if (roll < 55) {
      std::string text = queue.take_spare();
      text.assign(random() % 300, static_cast<char>('a' + step % 26));
      reference.push_back(text);
      reference_bytes += text.size();
      if (random() % 2 == 0) {
        queue.push(shared_text(std::move(text)));
      } else {
        queue.push(std::move(text));
      }
    } else if (roll < 98) {
      if (reference.empty()) continue;
      REQUIRE(queue.text(0) == reference.front());
      reference_bytes -= reference.front().size();
      reference.pop_front();
      queue.pop();
    } else {
      const std::size_t keep = reference.empty() ? 0 : random() % reference.size();
      while (reference.size() > keep) {
        reference_bytes -= reference.back().size();
        reference.pop_back();
      }
      queue.truncate(keep);
    }
    REQUIRE(queue.size() == reference.size());
    REQUIRE(queue.bytes() == reference_bytes);
  }
  for (std::size_t i = 0; i < reference.size(); ++i)
    REQUIRE(queue.text(i) == reference[i]);
}
