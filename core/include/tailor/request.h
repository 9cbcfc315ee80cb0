// Decision request: parsed and validated from JSON (schemas/request.schema.json) at the boundary.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tailor/status.h"

namespace tailor {

struct RequestLimits {
  size_t max_bytes = 64 * 1024;
  size_t max_slots = 16;
  size_t max_ids = 1000;  // per list (slot items, exclude, consent, segments)
  size_t max_context_keys = 64;      // request.context: custom attributes for conditions
  size_t max_context_array = 100;    // entries of one context array
  size_t max_context_string = 1024;  // bytes of one context string
};

struct SlotRequest {
  std::string id;
  int32_t size = -1;               // -1: the slot's default size
  std::vector<std::string> items;  // candidate ids for `request`-sourced slots
  std::vector<uint32_t> quantities;  // parallel to items when any item names a quantity (0: request's)
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
  // Compliance facts (docs/compliance.md): ISO 3166-1 alpha-2 country, ISO 3166-2 region
  // ("DE-BY"; sets country when that is absent), age in years (-1 unknown), licences held.
  std::string country;
  std::string region;
  int32_t age = -1;
  std::vector<std::string> licences;
  // B2B (docs/b2b.md): the buying account, the buyer's role, units per line and currency.
  std::string account;              // empty: no account
  std::string buyer_id, buyer_role;
  bool has_buyer = false;
  bool has_quantity = false;
  uint32_t quantity = 1;            // 1..1e9
  std::string currency;             // ISO 4217; empty: account / site / tenant currency
  // Sticky experiment assignments from an earlier decision (e.g. a cookie): experiment id ->
  // variation key (docs/experiments.md).
  std::vector<std::pair<std::string, std::string>> assignments;
};

// Parses `json` into a Request. Errors name the offending field, e.g. "slots[1].size: ...".
Result<Request> parse_request(std::string_view json, const RequestLimits& limits = {});

}  // namespace tailor
