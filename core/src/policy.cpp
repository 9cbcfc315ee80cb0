#include "tailor/policy.h"

#include <algorithm>
#include <string>

#include "tailor/targeting.h"

namespace tailor {
namespace {

Status invalid(const std::string& what) { return Status(Code::kSnapshotInvalid, "snapshot invalid: " + what); }

bool upper(char c) { return c >= 'A' && c <= 'Z'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

template <class V>
bool has_string(const V* v, std::string_view s) {
  if (!v || s.empty()) return false;
  for (auto* x : *v)
    if (sv(x) == s) return true;
  return false;
}

bool granted(const Request& req, const Profile* profile, std::string_view purpose) {
  if (req.has_consent) return std::find(req.consent.begin(), req.consent.end(), purpose) != req.consent.end();
  return profile && profile->has_consent(purpose);
}

// A jurisdiction policy filters unless the visitor's place is known and allowed. Unknown country:
// filtered (fail closed). A region code the visitor's region cannot be checked against (region
// not sent, same country) also fails closed.
bool jurisdiction_allows(const fb::Policy& p, const Request& req) {
  if (req.country.empty()) return false;
  if (p.only_in() && p.only_in()->size()) {
    bool in = has_string(p.only_in(), req.country) || has_string(p.only_in(), req.region);
    if (!in) return false;
  }
  if (p.never_in()) {
    for (auto* x : *p.never_in()) {
      std::string_view code = sv(x);
      if (code == req.country || (!req.region.empty() && code == req.region)) return false;
      // "DE-BY" with a German visitor of unknown region: cannot rule it out.
      if (req.region.empty() && code.size() > 3 && code.substr(0, 2) == req.country) return false;
    }
  }
  return true;
}

PolicyEffect effect_of(const fb::Policy& p, const Request& req, const Profile* profile, SegmentTest in_segment,
                       const void* segment_ctx) {
  switch (policy_kind(sv(p.kind()))) {
    case PolicyKind::kJurisdiction:
      return jurisdiction_allows(p, req) ? PolicyEffect::kNone : PolicyEffect::kFilter;
    case PolicyKind::kMinAge:
      return req.age >= 0 && req.age >= static_cast<int32_t>(p.min_age()) ? PolicyEffect::kNone : PolicyEffect::kFilter;
    case PolicyKind::kLicence: {
      std::string_view need = sv(p.licence());
      bool has = std::find(req.licences.begin(), req.licences.end(), need) != req.licences.end();
      return has ? PolicyEffect::kNone : PolicyEffect::kFilter;
    }
    case PolicyKind::kConsent:
      if (granted(req, profile, sv(p.purpose()))) return PolicyEffect::kNone;
      return p.consent_filter() ? PolicyEffect::kFilter : PolicyEffect::kNoProfile;
    case PolicyKind::kSegment:
      if (p.segments() && in_segment)
        for (int32_t s : *p.segments())
          if (in_segment(segment_ctx, s)) return PolicyEffect::kFilter;
      return PolicyEffect::kNone;
    case PolicyKind::kUnknown:
      break;
  }
  return PolicyEffect::kFilter;  // a kind this engine does not know: fail closed
}

// Whether policy `k`'s condition leaves it in effect: true when absent, true, or not evaluable.
bool condition_holds(Targeting* targeting, const fb::Policy& p, uint32_t k) {
  const auto* program = p.condition();
  if (!targeting || !program || program->size() == 0) return true;
  const size_t errors_before = targeting->errors().size();
  if (targeting->condition_true(ConditionOf::kPolicy, static_cast<int32_t>(k), program)) return true;
  return targeting->errors().size() > errors_before;  // an error counts as true here, not false
}

}  // namespace

PolicyKind policy_kind(std::string_view name) {
  if (name == "jurisdiction") return PolicyKind::kJurisdiction;
  if (name == "min_age") return PolicyKind::kMinAge;
  if (name == "licence") return PolicyKind::kLicence;
  if (name == "consent") return PolicyKind::kConsent;
  if (name == "segment") return PolicyKind::kSegment;
  return PolicyKind::kUnknown;
}

bool is_country_code(std::string_view s) { return s.size() == 2 && upper(s[0]) && upper(s[1]); }

bool is_region_code(std::string_view s) {
  if (s.size() < 4 || s.size() > 6 || !is_country_code(s.substr(0, 2)) || s[2] != '-') return false;
  for (char c : s.substr(3))
    if (!upper(c) && !digit(c)) return false;
  return true;
}

Status validate_policies(const fb::Snapshot& root, uint32_t items, uint32_t categories) {
  const auto* policies = root.policies();
  if (!policies) return Status::Ok();
  for (const fb::Policy* p : *policies) {
    std::string id(sv(p->id()));
    if (p->categories())
      for (int32_t c : *p->categories())
        if (c < 0 || static_cast<uint32_t>(c) >= categories) return invalid("policy '" + id + "' category index");
    if (p->items()) {
      for (uint32_t i = 0; i < p->items()->size(); ++i) {
        if (p->items()->Get(i) >= items) return invalid("policy '" + id + "' item index");
        if (i && p->items()->Get(i - 1) >= p->items()->Get(i)) return invalid("policy '" + id + "' items not sorted");
      }
    }
    if (p->segments())
      for (int32_t s : *p->segments())
        if (s < 0 || static_cast<uint32_t>(s) >= (root.segments() ? root.segments()->size() : 0u))
          return invalid("policy '" + id + "' segment index");
  }
  return Status::Ok();
}

PolicyState prepare_policies(const Snapshot& snap, const Request& req, const Profile* profile, SegmentTest in_segment,
                             const void* segment_ctx, Targeting* targeting, Arena& arena) {
  PolicyState ps;
  const fb::Snapshot& root = snap.root();
  const auto* policies = root.policies();
  const uint32_t np = policies ? policies->size() : 0;
  if (np == 0) return ps;
  const auto* cats = root.categories();
  const uint32_t ncat = cats ? cats->size() : 0;
  ps.effect = arena.zeroed<uint8_t>(np);
  ps.category_filter = arena.alloc<int32_t>(ncat);
  ps.category_no_profile = arena.alloc<int32_t>(ncat);
  std::fill(ps.category_filter.begin(), ps.category_filter.end(), -1);
  std::fill(ps.category_no_profile.begin(), ps.category_no_profile.end(), -1);
  ps.item_policies = arena.alloc<int32_t>(np);
  size_t nitem = 0;
  // Categories the policy names directly; descendants are filled in below.
  auto direct_filter = arena.alloc<int32_t>(ncat), direct_np = arena.alloc<int32_t>(ncat);
  std::fill(direct_filter.begin(), direct_filter.end(), -1);
  std::fill(direct_np.begin(), direct_np.end(), -1);
  for (uint32_t k = 0; k < np; ++k) {
    const fb::Policy& p = *policies->Get(k);
    PolicyEffect e = condition_holds(targeting, p, k) ? effect_of(p, req, profile, in_segment, segment_ctx)
                                                      : PolicyEffect::kNone;
    ps.effect[k] = static_cast<uint8_t>(e);
    if (e == PolicyEffect::kNone) continue;
    ps.any_filter = ps.any_filter || e == PolicyEffect::kFilter;
    ps.any_no_profile = ps.any_no_profile || e == PolicyEffect::kNoProfile;
    auto& direct = e == PolicyEffect::kFilter ? direct_filter : direct_np;
    if (p.categories())
      for (int32_t c : *p.categories())
        if (direct[c] < 0) direct[c] = static_cast<int32_t>(k);
    if (p.items() && p.items()->size()) ps.item_policies[nitem++] = static_cast<int32_t>(k);
  }
  ps.item_policies = ps.item_policies.first(nitem);
  // A category is covered by the first (lowest index) policy naming it or one of its ancestors.
  for (uint32_t c = 0; c < ncat; ++c) {
    int32_t f = -1, n = -1;
    for (int32_t q = static_cast<int32_t>(c); q >= 0; q = cats->Get(q)->parent()) {
      if (direct_filter[q] >= 0 && (f < 0 || direct_filter[q] < f)) f = direct_filter[q];
      if (direct_np[q] >= 0 && (n < 0 || direct_np[q] < n)) n = direct_np[q];
    }
    ps.category_filter[c] = f;
    ps.category_no_profile[c] = n;
  }
  ps.item_category = snap.items().category() ? snap.items().category()->data() : nullptr;
  return ps;
}

int32_t policy_covering(const PolicyState& ps, const Snapshot& snap, uint32_t item, PolicyEffect effect) {
  int32_t best = -1;
  if (ps.item_category) {
    int32_t c = ps.item_category[item];
    if (c >= 0) best = effect == PolicyEffect::kFilter ? ps.category_filter[c] : ps.category_no_profile[c];
  }
  const auto* policies = snap.root().policies();
  for (int32_t k : ps.item_policies) {
    if (best >= 0 && k >= best) break;  // item_policies is in policy order
    if (ps.effect[k] != static_cast<uint8_t>(effect)) continue;
    const auto* items = policies->Get(k)->items();
    if (std::binary_search(items->begin(), items->end(), item)) return k;
  }
  return best;
}

void write_policies(JsonWriter& w, const Snapshot& snap, const PolicyState& ps, std::span<const uint32_t> removed,
                    std::span<const uint32_t> profile_off) {
  const auto* policies = snap.root().policies();
  if (!policies || policies->size() == 0) return;
  w.key("policies");
  w.begin_array();
  for (uint32_t k = 0; k < ps.effect.size(); ++k) {
    if (ps.effect[k] == static_cast<uint8_t>(PolicyEffect::kNone)) continue;
    const fb::Policy& p = *policies->Get(k);
    w.begin_object();
    w.key("id"); w.string(sv(p.id()));
    w.key("kind"); w.string(sv(p.kind()));
    w.key("removed"); w.integer(k < removed.size() ? removed[k] : 0);
    if (ps.effect[k] == static_cast<uint8_t>(PolicyEffect::kNoProfile)) {
      w.key("profile_off"); w.integer(k < profile_off.size() ? profile_off[k] : 0);
    }
    w.end_object();
  }
  w.end_array();
}

}  // namespace tailor
