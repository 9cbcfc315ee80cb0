#include "tailor/targeting.h"

namespace tailor {

Status Targeting::init(const Snapshot& snap, const Request& req, Arena& arena) {
  const auto* segs = snap.root().segments();
  const uint32_t n = segs ? segs->size() : 0;
  member_ = arena.zeroed<uint8_t>(n);
  for (uint32_t s = 0; s < n; ++s) {
    std::string_view id = sv(segs->Get(s)->id());
    for (const std::string& listed : req.segments)
      if (listed == id) { member_[s] = 1; break; }
  }
  return Status::Ok();
}

}  // namespace tailor
