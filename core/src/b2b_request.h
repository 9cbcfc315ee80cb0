// B2B request fields (account, buyer, quantity, currency, per-item quantities), parsed at the
// request boundary; kept beside request.cpp so the request parser only calls in.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "tailor/request.h"

namespace tailor {

// Reads `account`, `buyer`, `quantity` and `currency` from the request object.
Status parse_b2b_request(const nlohmann::json& doc, Request& r);
// Reads a slot's `items`: ids, or {"id": ..., "quantity": n} objects. `field` is "slots[i].items".
Status parse_slot_items(const nlohmann::json& v, const std::string& field, size_t max, SlotRequest& sr);

}  // namespace tailor
