#include "b2b_request.h"

#include <algorithm>

#include "tailor/b2b.h"

namespace tailor {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxIdBytes = 128;

Status bad(const std::string& field, const std::string& what) {
  return Status(Code::kInvalidArgument, "request." + field + ": " + what);
}

Status read_id(const json& obj, const char* key, const std::string& field, std::string& out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::Ok();
  if (!it->is_string() || it->get_ref<const std::string&>().empty()) return bad(field, "must be a non-empty string");
  if (it->get_ref<const std::string&>().size() > kMaxIdBytes)
    return bad(field, "longer than " + std::to_string(kMaxIdBytes) + " bytes");
  out = it->get_ref<const std::string&>();
  return Status::Ok();
}

bool read_quantity(const json& v, uint32_t& out) {
  int64_t q = 0;
  if (v.is_number_integer()) q = v.get<int64_t>();
  else if (v.is_number_unsigned()) q = v.get<uint64_t>() > kMaxQuantity ? 0 : static_cast<int64_t>(v.get<uint64_t>());
  else return false;
  if (q < 1 || q > static_cast<int64_t>(kMaxQuantity)) return false;
  out = static_cast<uint32_t>(q);
  return true;
}

const char* kQuantityRange = "must be an integer from 1 to 1000000000";

}  // namespace

Status parse_b2b_request(const json& doc, Request& r) {
  Status st;
  if (!(st = read_id(doc, "account", "account", r.account)).ok()) return st;
  if (auto it = doc.find("buyer"); it != doc.end() && !it->is_null()) {
    if (!it->is_object()) return bad("buyer", "must be an object {\"id\": ..., \"role\": ...}");
    if (!(st = read_id(*it, "id", "buyer.id", r.buyer_id)).ok()) return st;
    if (!(st = read_id(*it, "role", "buyer.role", r.buyer_role)).ok()) return st;
    r.has_buyer = true;
  }
  if (auto it = doc.find("quantity"); it != doc.end() && !it->is_null()) {
    if (!read_quantity(*it, r.quantity)) return bad("quantity", kQuantityRange);
    r.has_quantity = true;
  }
  if (auto it = doc.find("currency"); it != doc.end() && !it->is_null()) {
    bool ok = it->is_string() && it->get_ref<const std::string&>().size() == 3;
    if (ok)
      for (char c : it->get_ref<const std::string&>()) ok = ok && c >= 'A' && c <= 'Z';
    if (!ok) return bad("currency", "must be an ISO 4217 code like \"EUR\"");
    r.currency = it->get_ref<const std::string&>();
  }
  return Status::Ok();
}

Status parse_slot_items(const json& v, const std::string& field, size_t max, SlotRequest& sr) {
  if (!v.is_array()) return bad(field, "must be an array of item ids or {\"id\": ..., \"quantity\": n}");
  if (v.size() > max)
    return Status(Code::kLimitExceeded,
                  "request." + field + ": " + std::to_string(v.size()) + " entries, over the limit of " + std::to_string(max));
  sr.items.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string f = field + "[" + std::to_string(i) + "]";
    const json& e = v[i];
    if (e.is_string()) {
      sr.items.push_back(e.get_ref<const std::string&>());
      sr.quantities.push_back(0);
      continue;
    }
    if (!e.is_object()) return bad(f, "must be a string or {\"id\": ..., \"quantity\": n}");
    auto id = e.find("id");
    if (id == e.end() || !id->is_string()) return bad(f + ".id", "must be a string");
    uint32_t q = 0;
    if (auto qi = e.find("quantity"); qi != e.end() && !qi->is_null())
      if (!read_quantity(*qi, q)) return bad(f + ".quantity", kQuantityRange);
    sr.items.push_back(id->get_ref<const std::string&>());
    sr.quantities.push_back(q);
  }
  // Parallel to items only when some item names a quantity.
  if (std::all_of(sr.quantities.begin(), sr.quantities.end(), [](uint32_t q) { return q == 0; })) sr.quantities.clear();
  return Status::Ok();
}

}  // namespace tailor
