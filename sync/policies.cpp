#include "policies.h"

#include <algorithm>
#include <iterator>
#include <map>

#include "catalog.h"
#include "config_reader.h"
#include "targeting_config.h"
#include "tailor/policy.h"

namespace tailor::sync {
namespace {

using nlohmann::json;

// ISO 3166-1 alpha-2, officially assigned codes (249), sorted: from tzdata's iso3166.tab.
constexpr std::string_view kCountries =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ "
    "CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO "
    "FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE "
    "JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO "
    "MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW "
    "PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM "
    "TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

constexpr const char* kKinds[] = {"jurisdiction", "min_age", "licence", "consent", "segment"};

std::string kinds_list() {
  std::string s;
  for (const char* k : kKinds) s += (s.empty() ? "" : ", ") + std::string(k);
  return s;
}

// Which kind owns each kind-specific field.
struct FieldOwner {
  const char* field;
  const char* kind;
};
constexpr FieldOwner kFields[] = {{"only_in", "jurisdiction"}, {"never_in", "jurisdiction"}, {"min_age", "min_age"},
                                  {"licence", "licence"},      {"purpose", "consent"},       {"effect", "consent"},
                                  {"segments", "segment"}};

// Checks one jurisdiction code; returns false (reported) when it is not a country or region.
bool check_code(ConfigReader& r, const IdRef& code) {
  if (code.id.size() == 2) {
    if (iso_country(code.id)) return true;
    r.error(code.where, quote_value(code.id) + " is not an ISO 3166-1 alpha-2 country code (e.g. \"DE\", upper case)");
    return false;
  }
  if (is_region_code(code.id) && iso_country(std::string_view(code.id).substr(0, 2))) return true;
  r.error(code.where, quote_value(code.id) +
                          " is not an ISO 3166-1 alpha-2 country or ISO 3166-2 region code (e.g. \"DE\", \"DE-BY\")");
  return false;
}

// True when `never` rules out every visitor `only` would allow: the same code, or the region's country.
bool forbids(std::string_view never, std::string_view only) {
  return never == only || (never.size() == 2 && only.size() > 2 && only.substr(0, 2) == never);
}

// True when two places can be the same visitor's (same code, or a country and one of its regions).
bool overlaps(std::string_view a, std::string_view b) { return forbids(a, b) || forbids(b, a); }

void parse_policy(ConfigReader& r, const json& j, const std::string& p, Config& c, std::map<std::string, std::string>& seen) {
  if (!r.object(j, p, {"id", "kind", "items", "categories", "only_in", "never_in", "min_age", "licence", "purpose",
                       "effect", "segments", "match", "condition"}))
    return;
  PolicyConfig pc;
  pc.where = p;
  auto id = r.id(j, "id", p);
  if (id) r.unique(seen, *id, at(p, "id"));
  auto kind = r.text(j, "kind", p, true);
  if (kind && !known_policy_kind(*kind)) {
    r.error(at(p, "kind"), "unknown policy kind " + quote_value(*kind) + " (expected one of: " + kinds_list() + ")");
    return;
  }
  if (!kind) return;
  pc.kind = *kind;
  for (const FieldOwner& f : kFields)
    if (pc.kind != f.kind && j.contains(f.field) && !j[f.field].is_null())
      r.error(at(p, f.field), "only " + std::string(f.kind) + " policies take " + f.field);

  pc.items = r.ids(j, "items", p);
  pc.categories = r.ids(j, "categories", p);
  if (const json* m = r.member(j, "match", p, false)) {
    pc.match.emplace();
    parse_match(r, *m, at(p, "match"), *pc.match);
  }
  if (pc.items.empty() && pc.categories.empty() && !pc.match)
    r.error(p, "a policy needs items, categories or match to apply to");

  if (pc.kind == "jurisdiction") {
    pc.only_in = r.ids(j, "only_in", p);
    pc.never_in = r.ids(j, "never_in", p);
    if (pc.only_in.empty() && pc.never_in.empty())
      r.error(p, "a jurisdiction policy needs only_in or never_in (ISO 3166 codes)");
    bool codes_ok = true;
    for (const IdRef& x : pc.only_in) codes_ok = check_code(r, x) && codes_ok;
    for (const IdRef& x : pc.never_in) codes_ok = check_code(r, x) && codes_ok;
    if (codes_ok)
      for (const IdRef& n : pc.never_in)
        for (const IdRef& o : pc.only_in)
          if (forbids(n.id, o.id))
            r.error(n.where, "conflicting policy: " + quote_value(n.id) + " is never allowed here but " + o.where +
                                 " allows only " + quote_value(o.id));
  } else if (pc.kind == "min_age") {
    if (auto age = r.integer(j, "min_age", p, 1, 150, true)) pc.min_age = static_cast<uint16_t>(*age);
  } else if (pc.kind == "licence") {
    pc.licence = r.id(j, "licence", p).value_or("");
  } else if (pc.kind == "consent") {
    pc.purpose = r.id(j, "purpose", p).value_or("");
    if (auto effect = r.text(j, "effect", p)) {
      if (*effect == "filter") pc.consent_filter = true;
      else if (*effect != "profile_off")
        r.error(at(p, "effect"), "unknown effect " + quote_value(*effect) + " (expected one of: profile_off, filter)");
    }
  } else if (pc.kind == "segment") {
    pc.segments = r.ids(j, "segments", p, true);
  }
  parse_condition(r, j, p, pc.condition, pc.condition_segments);
  if (!id) return;
  pc.id = *id;
  c.policies.push_back(std::move(pc));
}

// Names an item or category index for messages.
struct Target {
  bool category;
  int64_t index;
  bool operator<(const Target& o) const { return category != o.category ? category < o.category : index < o.index; }
  bool operator==(const Target& o) const { return category == o.category && index == o.index; }
};

std::vector<Target> targets(const ResolvedPolicy& p) {
  std::vector<Target> t;
  for (uint32_t i : p.items) t.push_back({false, i});
  for (int32_t c : p.categories) t.push_back({true, c});
  return t;
}

// Why policies `a` and `b` (same kind, a shared target) cannot both hold, or "".
std::string contradiction(const PolicyConfig& a, const PolicyConfig& b) {
  if (a.kind == "jurisdiction") {
    for (const IdRef& o : a.only_in)
      for (const IdRef& n : b.never_in)
        if (forbids(n.id, o.id)) return "allows only " + quote_value(o.id) + " there and never " + quote_value(n.id) + " here";
    for (const IdRef& n : a.never_in)
      for (const IdRef& o : b.only_in)
        if (forbids(n.id, o.id)) return "never allows " + quote_value(n.id) + " there and only " + quote_value(o.id) + " here";
    if (!a.only_in.empty() && !b.only_in.empty()) {
      bool any = false;
      for (const IdRef& x : a.only_in)
        for (const IdRef& y : b.only_in) any = any || overlaps(x.id, y.id);
      if (!any) return "their only_in lists share no place, so it could be shown nowhere";
    }
  } else if (a.kind == "min_age" && a.min_age != b.min_age) {
    return "contradictory duplicate: min_age " + std::to_string(a.min_age) + " there and " + std::to_string(b.min_age) + " here";
  } else if (a.kind == "consent" && a.purpose == b.purpose && a.consent_filter != b.consent_filter) {
    return "contradictory duplicate: purpose " + quote_value(a.purpose) + " with effect " +
           (a.consent_filter ? "filter" : "profile_off") + " there and " + (b.consent_filter ? "filter" : "profile_off") + " here";
  }
  return "";
}

}  // namespace

bool known_policy_kind(std::string_view kind) {
  for (const char* k : kKinds)
    if (kind == k) return true;
  return false;
}

bool iso_country(std::string_view code) {
  if (!is_country_code(code)) return false;
  for (size_t i = 0; i + 2 <= kCountries.size(); i += 3)
    if (kCountries.substr(i, 2) == code) return true;
  return false;
}

void parse_policies(ConfigReader& r, const json& root, Config& c) {
  const json* v = r.member(root, "policies", "", false);
  if (!v) return;
  if (!v->is_array()) return r.error("policies", std::string("expected an array, got ") + v->type_name());
  std::map<std::string, std::string> seen;
  for (size_t i = 0; i < v->size(); ++i) parse_policy(r, (*v)[i], at("policies", i), c, seen);
}

void resolve_policies(const Config& c, const Catalog& catalog, std::vector<ResolvedPolicy>& out, ErrorList& errors,
                      const std::vector<std::vector<uint32_t>>& matched) {
  auto error = [&](const std::string& where, const std::string& msg) { errors.add(c.file + ": " + where + ": " + msg); };
  out.clear();
  for (size_t k = 0; k < c.policies.size(); ++k) {
    const PolicyConfig& pc = c.policies[k];
    ResolvedPolicy rp;
    rp.config = &pc;
    if (k < matched.size()) {
      rp.items = matched[k];
      if (pc.match && rp.items.empty()) error(at(pc.where, "match"), "matches no item");
    }
    for (const IdRef& r : pc.items) {
      int32_t i = catalog.find_item(r.id);
      if (i < 0) error(r.where, "unknown item " + quote_value(r.id));
      else rp.items.push_back(static_cast<uint32_t>(i));
    }
    for (const IdRef& r : pc.categories) {
      int32_t i = catalog.find_category(r.id);
      if (i < 0) error(r.where, "unknown category " + quote_value(r.id));
      else rp.categories.push_back(i);
    }
    for (const IdRef& r : pc.segments) {
      auto s = std::find_if(c.segments.begin(), c.segments.end(), [&](const SegmentConfig& x) { return x.id == r.id; });
      if (s == c.segments.end()) error(r.where, "unknown segment " + quote_value(r.id));
      else rp.segments.push_back(static_cast<int32_t>(s - c.segments.begin()));
    }
    std::sort(rp.items.begin(), rp.items.end());
    rp.items.erase(std::unique(rp.items.begin(), rp.items.end()), rp.items.end());
    std::sort(rp.categories.begin(), rp.categories.end());
    rp.categories.erase(std::unique(rp.categories.begin(), rp.categories.end()), rp.categories.end());
    out.push_back(std::move(rp));
  }
  // Conflicts between two policies of one kind on the same item or category.
  for (size_t b = 0; b < out.size(); ++b) {
    std::vector<Target> tb = targets(out[b]);
    for (size_t a = 0; a < b; ++a) {
      const PolicyConfig& pa = *out[a].config;
      const PolicyConfig& pb = *out[b].config;
      if (pa.kind != pb.kind) continue;
      std::vector<Target> ta = targets(out[a]), shared;
      std::sort(ta.begin(), ta.end());
      std::sort(tb.begin(), tb.end());
      std::set_intersection(ta.begin(), ta.end(), tb.begin(), tb.end(), std::back_inserter(shared));
      if (shared.empty()) continue;
      std::string why = contradiction(pa, pb);
      if (why.empty()) continue;
      const Target& t = shared.front();
      std::string what = t.category ? "category " + quote_value(catalog.categories[t.index].id)
                                    : "item " + quote_value(catalog.ids[t.index]);
      error(pb.where, "conflicting policies: " + pa.where + " (" + quote_value(pa.id) + ") and this one both cover " +
                          what + "; " + why);
    }
  }
}

flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Policy>>> write_policies(
    flatbuffers::FlatBufferBuilder& fbb, const std::vector<ResolvedPolicy>& policies) {
  if (policies.empty()) return 0;  // absent, so snapshots without policies keep their bytes
  std::vector<flatbuffers::Offset<fb::Policy>> out;
  auto strings = [&](const std::vector<IdRef>& refs) {
    std::vector<std::string> s;
    for (const IdRef& r : refs) s.push_back(r.id);
    return fbb.CreateVectorOfStrings(s);
  };
  for (const ResolvedPolicy& rp : policies) {
    const PolicyConfig& pc = *rp.config;
    auto id = fbb.CreateString(pc.id);
    auto kind = fbb.CreateString(pc.kind);
    auto categories = fbb.CreateVector(rp.categories);
    auto items = fbb.CreateVector(rp.items);
    auto only_in = strings(pc.only_in);
    auto never_in = strings(pc.never_in);
    auto licence = pc.licence.empty() ? 0 : fbb.CreateString(pc.licence);
    auto condition = pc.condition.empty() ? 0 : fbb.CreateVector(pc.condition);
    auto purpose = pc.purpose.empty() ? 0 : fbb.CreateString(pc.purpose);
    auto segments = fbb.CreateVector(rp.segments);
    fb::PolicyBuilder b(fbb);
    b.add_id(id);
    b.add_kind(kind);
    b.add_categories(categories);
    b.add_items(items);
    b.add_only_in(only_in);
    b.add_never_in(never_in);
    b.add_min_age(pc.min_age);
    if (!licence.IsNull()) b.add_licence(licence);
    if (!purpose.IsNull()) b.add_purpose(purpose);
    b.add_consent_filter(pc.consent_filter);
    b.add_segments(segments);
    if (!condition.IsNull()) b.add_condition(condition);
    out.push_back(b.Finish());
  }
  return fbb.CreateVector(out);
}

}  // namespace tailor::sync
