// The per-request arena: correctly aligned storage, and no growth once a request pattern is known.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "tailor/arena.h"

using tailor::Arena;

namespace {
template <class T>
bool aligned(const T* p) { return reinterpret_cast<uintptr_t>(p) % alignof(T) == 0; }

struct alignas(32) Wide { float v[8]; };

// A request-like pattern: mixed element types and sizes, one allocation bigger than a block.
void pattern(Arena& a) {
  a.alloc<uint8_t>(3);
  a.alloc<double>(5);
  a.alloc<uint16_t>(7);
  a.alloc<int64_t>(1000);
  a.alloc<Wide>(2);
  a.alloc<float>(100'000);  // 400 KB: larger than the 64 KiB default block
  a.alloc<uint32_t>(33);
}
}  // namespace

TEST_CASE("arena: mixed types come back aligned and non-overlapping") {
  Arena a(256);  // small blocks so allocations cross block boundaries
  std::vector<std::pair<uintptr_t, uintptr_t>> ranges;  // [begin, end) of every allocation
  auto note = [&](auto span) {
    auto begin = reinterpret_cast<uintptr_t>(span.data());
    ranges.emplace_back(begin, begin + span.size_bytes());
    return span;
  };
  for (int round = 0; round < 50; ++round) {
    auto c = note(a.alloc<char>(1 + round % 7));
    auto d = note(a.alloc<double>(1 + round % 3));
    auto s = note(a.alloc<uint16_t>(3));
    auto w = note(a.alloc<Wide>(1));
    auto i = note(a.alloc<int64_t>(round));
    CHECK(aligned(d.data()));
    CHECK(aligned(s.data()));
    CHECK(aligned(w.data()));
    CHECK(aligned(i.data()));
    CHECK(c.size() == size_t(1 + round % 7));
    CHECK(i.size() == size_t(round));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t k = 1; k < ranges.size(); ++k) CHECK(ranges[k - 1].second <= ranges[k].first);
  CHECK(a.capacity() >= a.used());
}

TEST_CASE("arena: zero-length allocations are valid and distinct from nothing") {
  Arena a;
  auto z = a.alloc<uint32_t>(0);
  CHECK(z.empty());
  auto zz = a.zeroed<double>(0);
  CHECK(zz.empty());
  auto one = a.alloc<uint32_t>(1);
  one[0] = 7;
  CHECK(one[0] == 7u);
}

TEST_CASE("arena: zeroed memory is zero even after the block was dirtied") {
  Arena a(1024);
  auto dirty = a.alloc<uint8_t>(900);
  for (auto& b : dirty) b = 0xAB;
  a.reset();
  auto z = a.zeroed<uint32_t>(200);
  bool all_zero = true;
  for (uint32_t v : z) all_zero = all_zero && v == 0;
  CHECK(all_zero);
  auto f = a.zeroed<float>(30);
  for (float v : f) CHECK(v == 0.0f);
}

TEST_CASE("arena: reset forgets allocations but keeps capacity") {
  Arena a;
  a.alloc<int>(1000);
  size_t cap = a.capacity();
  CHECK(a.used() >= 1000 * sizeof(int));
  a.reset();
  CHECK(a.used() == 0);
  CHECK(a.capacity() == cap);
}

TEST_CASE("arena: steady state: repeating a request pattern after reset never grows") {
  Arena a;
  pattern(a);
  const size_t used_first = a.used();
  a.reset();
  const size_t cap_after_first = a.capacity();
  CHECK(cap_after_first >= used_first);
  for (int i = 0; i < 5; ++i) {
    pattern(a);
    CHECK(a.used() == used_first);
    CHECK(a.capacity() == cap_after_first);
    a.reset();
    CHECK(a.capacity() == cap_after_first);
  }
}
