#include "tailor/request.h"

#include <nlohmann/json.hpp>

#include "tailor/policy.h"
#include "b2b_request.h"

namespace tailor {
namespace {

using json = nlohmann::json;

Status bad(const std::string& field, const std::string& what) {
  return Status(Code::kInvalidArgument, "request." + field + ": " + what);
}

Status read_string_list(const json& v, const std::string& field, size_t max, std::vector<std::string>& out) {
  if (!v.is_array()) return bad(field, "must be an array of strings");
  if (v.size() > max)
    return Status(Code::kLimitExceeded,
                  "request." + field + ": " + std::to_string(v.size()) + " entries, over the limit of " + std::to_string(max));
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) return bad(field + "[" + std::to_string(i) + "]", "must be a string");
    out.push_back(v[i].get_ref<const std::string&>());
  }
  return Status::Ok();
}

Status read_string(const json& obj, const char* key, const std::string& field, std::string& out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::Ok();
  if (!it->is_string()) return bad(field, "must be a string");
  out = it->get_ref<const std::string&>();
  return Status::Ok();
}

bool as_int(const json& v, int64_t& out) {
  if (v.is_number_integer()) { out = v.get<int64_t>(); return true; }
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > uint64_t(INT64_MAX)) return false;
    out = static_cast<int64_t>(u);
    return true;
  }
  return false;
}

// country, region, age, licences: the facts compliance policies are decided on.
Status read_compliance(const json& doc, const RequestLimits& limits, Request& r) {
  Status st;
  if (!(st = read_string(doc, "country", "country", r.country)).ok()) return st;
  if (!r.country.empty() && !is_country_code(r.country))
    return bad("country", "'" + r.country.substr(0, 16) + "' is not an ISO 3166-1 alpha-2 code (two upper-case letters, e.g. \"DE\")");
  if (!(st = read_string(doc, "region", "region", r.region)).ok()) return st;
  if (!r.region.empty()) {
    if (!is_region_code(r.region))
      return bad("region", "'" + r.region.substr(0, 16) + "' is not an ISO 3166-2 code (e.g. \"DE-BY\")");
    if (r.country.empty()) r.country = r.region.substr(0, 2);
    else if (r.region.compare(0, 2, r.country) != 0)
      return bad("region", "'" + r.region + "' is not in country '" + r.country + "'");
  }
  if (auto it = doc.find("age"); it != doc.end() && !it->is_null()) {
    int64_t age = 0;
    if (!as_int(*it, age) || age < 0 || age > 150) return bad("age", "must be an integer from 0 to 150 (years)");
    r.age = static_cast<int32_t>(age);
  }
  if (auto it = doc.find("licences"); it != doc.end() && !it->is_null())
    if (!(st = read_string_list(*it, "licences", limits.max_ids, r.licences)).ok()) return st;
  return Status::Ok();
}

// `context`: custom facts the host provides for targeting conditions (docs/targeting.md): an
// object of scalars and arrays of scalars, bounded so a condition's data stays small.
Status read_context(const json& v, const RequestLimits& limits) {
  if (!v.is_object()) return bad("context", "must be an object of custom attributes");
  if (v.size() > limits.max_context_keys)
    return Status(Code::kLimitExceeded, "request.context: " + std::to_string(v.size()) + " keys, over the limit of " +
                                            std::to_string(limits.max_context_keys));
  auto scalar_ok = [&](const json& x, const std::string& field) -> Status {
    if (x.is_array() || x.is_object()) return bad(field, "must be a string, number, boolean or null");
    if (x.is_string() && x.get_ref<const std::string&>().size() > limits.max_context_string)
      return bad(field, "longer than " + std::to_string(limits.max_context_string) + " bytes");
    return Status::Ok();
  };
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it.key().empty() || it.key().size() > 64) return bad("context", "keys must be 1 to 64 bytes");
    const std::string field = "context." + it.key();
    if (it->is_array()) {
      if (it->size() > limits.max_context_array)
        return Status(Code::kLimitExceeded, "request." + field + ": " + std::to_string(it->size()) +
                                                " entries, over the limit of " + std::to_string(limits.max_context_array));
      for (size_t i = 0; i < it->size(); ++i)
        if (Status st = scalar_ok((*it)[i], field + "[" + std::to_string(i) + "]"); !st.ok()) return st;
    } else if (it->is_object()) {
      return bad(field, "must be a string, number, boolean, null or an array of those");
    } else if (Status st = scalar_ok(*it, field); !st.ok()) {
      return st;
    }
  }
  return Status::Ok();
}

// assignments: {"experiment id": "variation key"} (sticky experiment assignments).
Status read_assignments(const json& doc, const RequestLimits& limits, Request& r) {
  auto it = doc.find("assignments");
  if (it == doc.end() || it->is_null()) return Status::Ok();
  if (!it->is_object()) return bad("assignments", "must be an object {\"experiment id\": \"variation key\"}");
  if (it->size() > limits.max_ids)
    return Status(Code::kLimitExceeded, "request.assignments: " + std::to_string(it->size()) +
                                            " entries, over the limit of " + std::to_string(limits.max_ids));
  for (auto a = it->begin(); a != it->end(); ++a) {
    if (!a.value().is_string()) return bad("assignments." + a.key().substr(0, 64), "must be a variation key (string)");
    r.assignments.emplace_back(a.key(), a.value().get_ref<const std::string&>());
  }
  return Status::Ok();
}

}  // namespace

Result<Request> parse_request(std::string_view text, const RequestLimits& limits) {
  if (text.size() > limits.max_bytes)
    return Status(Code::kLimitExceeded, "request is " + std::to_string(text.size()) +
                                            " bytes, over the limit of " + std::to_string(limits.max_bytes));
  json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded()) return Status(Code::kParseError, "request is not valid JSON");
  if (!doc.is_object()) return Status(Code::kInvalidArgument, "request must be a JSON object");

  Request r;
  Status st;
  if (!(st = read_string(doc, "tenant", "tenant", r.tenant)).ok()) return st;
  if (!(st = read_string(doc, "site", "site", r.site)).ok()) return st;

  if (auto it = doc.find("now"); it != doc.end() && !it->is_null()) {
    if (!as_int(*it, r.now) || r.now < 0) return bad("now", "must be a non-negative integer (unix seconds)");
  }
  if (auto it = doc.find("consent"); it != doc.end() && !it->is_null()) {
    if (!(st = read_string_list(*it, "consent", limits.max_ids, r.consent)).ok()) return st;
    r.has_consent = true;
  }
  if (auto it = doc.find("exclude"); it != doc.end() && !it->is_null()) {
    if (!(st = read_string_list(*it, "exclude", limits.max_ids, r.exclude)).ok()) return st;
  }
  if (auto it = doc.find("segments"); it != doc.end() && !it->is_null()) {
    if (!(st = read_string_list(*it, "segments", limits.max_ids, r.segments)).ok()) return st;
  }
  if (auto it = doc.find("explain"); it != doc.end() && !it->is_null()) {
    if (!it->is_boolean()) return bad("explain", "must be a boolean");
    r.explain = it->get<bool>();
  }
  if (!(st = parse_b2b_request(doc, r)).ok()) return st;
  if (auto it = doc.find("user"); it != doc.end() && !it->is_null() && !it->is_object())
    return bad("user", "must be an object");

  if (!(st = read_compliance(doc, limits, r)).ok()) return st;
  if (auto it = doc.find("context"); it != doc.end() && !it->is_null())
    if (!(st = read_context(*it, limits)).ok()) return st;
  if (!(st = read_assignments(doc, limits, r)).ok()) return st;

  auto slots = doc.find("slots");
  if (slots == doc.end() || !slots->is_array() || slots->empty())
    return bad("slots", "must be a non-empty array of {\"id\": ...}");
  if (slots->size() > limits.max_slots)
    return Status(Code::kLimitExceeded, "request.slots: " + std::to_string(slots->size()) +
                                            " slots, over the limit of " + std::to_string(limits.max_slots));
  for (size_t i = 0; i < slots->size(); ++i) {
    const json& s = (*slots)[i];
    std::string field = "slots[" + std::to_string(i) + "]";
    SlotRequest sr;
    if (s.is_string()) {
      sr.id = s.get_ref<const std::string&>();
    } else if (s.is_object()) {
      if (!(st = read_string(s, "id", field + ".id", sr.id)).ok()) return st;
      if (auto it = s.find("size"); it != s.end() && !it->is_null()) {
        int64_t size = 0;
        if (!as_int(*it, size) || size < 1 || size > 1000) return bad(field + ".size", "must be an integer from 1 to 1000");
        sr.size = static_cast<int32_t>(size);
      }
      if (auto it = s.find("items"); it != s.end() && !it->is_null())
        if (!(st = parse_slot_items(*it, field + ".items", limits.max_ids, sr)).ok()) return st;
    } else {
      return bad(field, "must be a slot id or an object {\"id\": ...}");
    }
    if (sr.id.empty()) return bad(field + ".id", "is required");
    r.slots.push_back(std::move(sr));
  }
  r.data = std::make_shared<const json>(std::move(doc));
  return r;
}

}  // namespace tailor
