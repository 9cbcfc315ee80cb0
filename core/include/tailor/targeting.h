// Targeting: which snapshot segments a request belongs to, computed once per request
// (docs/targeting.md). Membership = the segment ids the request lists + the segments whose
// compiled condition is true for the request.
#pragma once
#include <cstdint>
#include <span>
#include <string>

#include "tailor/arena.h"
#include "tailor/request.h"
#include "tailor/snapshot.h"
#include "tailor/status.h"

namespace tailor {

class Targeting {
 public:
  // Computes segment membership for `req` against `snap`; flags live in `arena`.
  Status init(const Snapshot& snap, const Request& req, Arena& arena);
  // True when the request is in snapshot segment `segment_index` (false when out of range).
  bool in_segment(int32_t segment_index) const {
    return segment_index >= 0 && static_cast<size_t>(segment_index) < member_.size() && member_[segment_index];
  }
  size_t segment_count() const { return member_.size(); }

 private:
  std::span<uint8_t> member_;
};

}  // namespace tailor
