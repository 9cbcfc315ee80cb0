// Decision request: parsed and validated from JSON (schemas/request.schema.json) at the boundary.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tailor/status.h"

namespace tailor {

struct RequestLimits {
  size_t max_bytes = 64 * 1024;
  size_t max_slots = 16;
  size_t max_ids = 1000;  // per list (slot items, exclude, consent, segments)
};

struct SlotRequest {
  std::string id;
  int32_t size = -1;               // -1: the slot's default size
  std::vector<std::string> items;  // candidate ids for `request`-sourced slots
};

struct Request {
  std::string tenant;               // empty: not checked
  std::string site;                 // empty: no site (site-scoped items are hidden)
  int64_t now = 0;                  // unix seconds; 0: the snapshot's built_at
  bool has_consent = false;         // true when the request carries `consent`
  std::vector<std::string> consent;
  std::vector<SlotRequest> slots;
  std::vector<std::string> exclude;
  bool explain = true;
  std::vector<std::string> segments;  // segment ids the host already knows (e.g. from a CRM)
  // The request object as sent: what targeting conditions read with `var` (docs/targeting.md).
  std::shared_ptr<const nlohmann::json> data;
};

// Parses `json` into a Request. Errors name the offending field, e.g. "slots[1].size: ...".
Result<Request> parse_request(std::string_view json, const RequestLimits& limits = {});

}  // namespace tailor
