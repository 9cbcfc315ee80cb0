#include "config.h"

#include <cmath>
#include <map>

#include "b2b.h"
#include "config_reader.h"
#include "signing_config.h"
#include "diversity_config.h"
#include "experiments_config.h"
#include "inventory.h"
#include "json_parse.h"
#include "targeting_config.h"
#include "plugin_config.h"
#include "policies.h"
#include "schedule.h"
#include "tailor/snapshot.h"

namespace tailor::sync {
namespace {

using nlohmann::json;

constexpr const char* kTermKinds[] = {"attribute",  "category_affinity", "brand_affinity", "attribute_affinity",
                                      "embedding",  "popularity",        "recency",        "plugin"};
constexpr const char* kSourceKinds[] = {"all", "category", "collection", "request"};
constexpr const char* kActions[] = {"boost", "bury", "pin", "exclude"};

template <size_t N>
std::string one_of(const char* const (&names)[N]) {
  std::string s;
  for (size_t i = 0; i < N; ++i) s += (i ? ", " : "") + std::string(names[i]);
  return s;
}

template <size_t N>
int index_of(const char* const (&names)[N], std::string_view v) {
  for (size_t i = 0; i < N; ++i)
    if (v == names[i]) return static_cast<int>(i);
  return -1;
}

bool valid_tenant_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '-'))) return false;
  }
  return true;
}

void parse_sites(ConfigReader& r, const json& root, Config& c) {
  const json* v = r.member(root, "sites", "", false);
  if (!v) return;
  if (!v->is_array()) return r.error("sites", std::string("expected an array, got ") + v->type_name());
  if (v->size() > kMaxSites)
    r.error("sites", std::to_string(v->size()) + " sites, at most " + std::to_string(kMaxSites) + " are supported");
  std::map<std::string, std::string> seen;
  for (size_t i = 0; i < v->size() && i < kMaxSites; ++i) {
    std::string p = at("sites", i);
    const json& s = (*v)[i];
    if (!r.object(s, p, {"id", "name", "brand", "currency", "locale"})) continue;
    SiteConfig site;
    auto id = r.id(s, "id", p);
    if (!id) continue;
    r.unique(seen, *id, at(p, "id"));
    site.id = *id;
    site.name = r.text(s, "name", p).value_or("");
    site.brand = r.text(s, "brand", p).value_or("");
    site.currency = r.text(s, "currency", p).value_or("");
    site.locale = r.text(s, "locale", p).value_or("");
    c.sites.push_back(std::move(site));
  }
}

// "attributes": [{name, type, on?, column?}]: typed custom attributes on items (default) or accounts.
void parse_attributes(ConfigReader& r, const json& root, Config& c) {
  const json* v = r.member(root, "attributes", "", false);
  if (!v) return;
  if (!v->is_array()) return r.error("attributes", std::string("expected an array, got ") + v->type_name());
  std::map<std::string, std::string> seen[3];  // per owner
  for (size_t i = 0; i < v->size(); ++i) {
    std::string p = at("attributes", i);
    const json& a = (*v)[i];
    if (!r.object(a, p, {"name", "type", "column", "on"})) continue;
    auto name = r.id(a, "name", p);
    auto type = r.text(a, "type", p, true);
    auto column = r.text(a, "column", p);
    auto on = r.text(a, "on", p);
    if (!name || !type) continue;
    AttributeConfig ac;
    if (on && *on == "accounts") ac.on = AttrOwner::kAccounts;
    else if (on && *on == "profiles") ac.on = AttrOwner::kProfiles;
    else if (on && *on != "items") {
      r.error(at(p, "on"), "unknown owner " + quote_value(*on) + " (expected one of: items, accounts, profiles)");
      continue;
    }
    r.unique(seen[static_cast<int>(ac.on)], *name, at(p, "name"));
    // Account attributes are account.<name> in targeting conditions, beside these built-in keys.
    if (ac.on == AttrOwner::kAccounts && (*name == "id" || *name == "known" || *name == "ancestors"))
      r.error(at(p, "name"), quote_value(*name) + " is a built-in key of account in conditions (docs/targeting.md)");
    // Profile traits are profile.<name>, beside the built-in profile facts.
    if (ac.on == AttrOwner::kProfiles) {
      for (const char* b : {"top_categories", "top_brands", "segments", "viewed", "bought", "updated_at"})
        if (*name == b)
          r.error(at(p, "name"), quote_value(*name) + " is a built-in key of profile in conditions (docs/targeting.md)");
      // Traits are read by attribute name from the profile_traits source at `tailor profiles`
      // time, which sees only the snapshot: a column rename belongs in that source's map.
      if (column)
        r.error(at(p, "column"), "profile attributes are read by name from the profile_traits source; rename columns with its map");
      if (c.profile_attributes.size() >= kMaxProfileAttributes) {
        r.error(at(p, "on"), "more than " + std::to_string(kMaxProfileAttributes) + " profile attributes");
        continue;
      }
    }
    ac.name = *name;
    ac.column = column && !column->empty() ? *column : *name;
    ac.where = p;
    if (*type == "number") ac.type = AttrType::kNumber;
    else if (*type == "categorical") ac.type = AttrType::kCategorical;
    else if (*type == "tags") ac.type = AttrType::kTags;
    else {
      r.error(at(p, "type"), "unknown type " + quote_value(*type) + " (expected one of: number, categorical, tags)");
      continue;
    }
    (ac.on == AttrOwner::kAccounts   ? c.account_attributes
     : ac.on == AttrOwner::kProfiles ? c.profile_attributes
                                     : c.attributes)
        .push_back(std::move(ac));
  }
}

void parse_embedding(ConfigReader& r, const json& root, Config& c) {
  const json* v = r.member(root, "embedding", "", false);
  if (!v || !r.object(*v, "embedding", {"dim", "format"})) return;
  auto dim = r.integer(*v, "dim", "embedding", 1, kMaxEmbeddingDim, true);
  auto format = r.text(*v, "format", "embedding");
  if (format && *format != "f32" && *format != "int8")
    r.error("embedding.format", "unknown format " + quote_value(*format) + " (expected one of: f32, int8)");
  if (dim) c.embedding.dim = static_cast<uint16_t>(*dim);
  c.embedding.int8 = format && *format == "int8";
}

void parse_collections(ConfigReader& r, const json& root, Config& c) {
  const json* v = r.member(root, "collections", "", false);
  if (!v) return;
  if (!v->is_array()) return r.error("collections", std::string("expected an array, got ") + v->type_name());
  std::map<std::string, std::string> seen;
  for (size_t i = 0; i < v->size(); ++i) {
    std::string p = at("collections", i);
    const json& col = (*v)[i];
    if (!r.object(col, p, {"id", "items"})) continue;
    auto id = r.id(col, "id", p);
    if (!id) continue;
    r.unique(seen, *id, at(p, "id"));
    c.collections.push_back({*id, r.ids(col, "items", p, true)});
  }
}

void parse_deny(ConfigReader& r, const json& root, Config& c) {
  const json* v = r.member(root, "deny", "", false);
  if (!v || !r.object(*v, "deny", {"items", "sites"})) return;
  c.deny.items = r.ids(*v, "items", "deny");
  const json* sites = r.member(*v, "sites", "deny", false);
  if (!sites) return;
  if (!sites->is_object()) return r.error("deny.sites", std::string("expected an object {site: [item ids]}, got ") + sites->type_name());
  for (auto it = sites->begin(); it != sites->end(); ++it)  // keys come sorted
    c.deny.sites.push_back({IdRef{it.key(), at("deny.sites", it.key())}, r.ids(*sites, it.key(), "deny.sites", true)});
}

void parse_term(ConfigReader& r, const json& t, const std::string& p, std::vector<TermConfig>& out) {
  if (!r.object(t, p, {"kind", "weight", "name", "attribute", "half_life_days", "plugin", "params"})) return;
  auto kind = r.text(t, "kind", p, true);
  if (!kind) return;
  int k = index_of(kTermKinds, *kind);
  if (k < 0) return r.error(at(p, "kind"), "unknown term kind " + quote_value(*kind) + " (expected one of: " + one_of(kTermKinds) + ")");
  TermConfig term;
  term.kind = static_cast<fb::TermKind>(k);
  term.where = p;
  term.weight = static_cast<float>(r.number(t, "weight", p).value_or(1.0));
  if (term.kind == fb::TermKind::Plugin) {
    term.plugin = parse_plugin_term(r, t, p);
    if (!term.plugin) return;
  } else if (r.member(t, "plugin", p, false) || r.member(t, "params", p, false)) {
    r.error(at(p, r.member(t, "plugin", p, false) ? "plugin" : "params"), "only plugin terms take a plugin and params");
  }
  const std::string default_name = term.plugin ? term.plugin->plugin : kTermKinds[k];
  term.name = r.text(t, "name", p).value_or(default_name);
  if (term.name.empty()) term.name = default_name;
  bool wants_attribute = term.kind == fb::TermKind::Attribute || term.kind == fb::TermKind::AttributeAffinity;
  if (auto a = r.id(t, "attribute", p, wants_attribute)) {
    if (wants_attribute) term.attribute = IdRef{*a, at(p, "attribute")};
    else r.error(at(p, "attribute"), "only attribute and attribute_affinity terms take an attribute");
  }
  auto hl = r.number(t, "half_life_days", p, term.kind == fb::TermKind::Recency);
  if (hl) {
    if (term.kind != fb::TermKind::Recency && term.kind != fb::TermKind::Popularity)
      r.error(at(p, "half_life_days"), "only popularity and recency terms decay");
    else if (!(*hl > 0))
      r.error(at(p, "half_life_days"), "must be > 0");
    else
      term.half_life_days = static_cast<float>(*hl);
  }
  out.push_back(std::move(term));
}

void parse_strategies(ConfigReader& r, const json& root, Config& c) {
  const json* v = r.member(root, "strategies", "", true);
  if (!v) return;
  if (!v->is_array()) return r.error("strategies", std::string("expected an array, got ") + v->type_name());
  std::map<std::string, std::string> seen;
  for (size_t i = 0; i < v->size(); ++i) {
    std::string p = at("strategies", i);
    const json& s = (*v)[i];
    if (!r.object(s, p, {"id", "terms"})) continue;
    auto id = r.id(s, "id", p);
    if (id) r.unique(seen, *id, at(p, "id"));
    StrategyConfig sc;
    sc.id = id.value_or("");
    if (const json* terms = r.member(s, "terms", p, true)) {
      if (!terms->is_array()) r.error(at(p, "terms"), std::string("expected an array, got ") + terms->type_name());
      else
        for (size_t k = 0; k < terms->size(); ++k) parse_term(r, (*terms)[k], at(at(p, "terms"), k), sc.terms);
    }
    if (id) c.strategies.push_back(std::move(sc));
  }
}

// A slot source {"kind", "id"?}; false when it is not usable (errors reported).
bool parse_slot_source(ConfigReader& r, const json& src, const std::string& sp, fb::SourceKind& kind_out,
                       std::optional<IdRef>& id_out) {
  if (!r.object(src, sp, {"kind", "id"})) return false;
  auto kind = r.text(src, "kind", sp, true);
  int k = kind ? index_of(kSourceKinds, *kind) : -1;
  if (kind && k < 0)
    r.error(at(sp, "kind"), "unknown source kind " + quote_value(*kind) + " (expected one of: " + one_of(kSourceKinds) + ")");
  if (k < 0) return false;
  kind_out = static_cast<fb::SourceKind>(k);
  bool needs_id = kind_out == fb::SourceKind::Category || kind_out == fb::SourceKind::Collection;
  auto sid = r.id(src, "id", sp, needs_id);
  if (sid && !needs_id) r.error(at(sp, "id"), std::string("source kind '") + kSourceKinds[k] + "' takes no id");
  if (sid && needs_id) id_out = IdRef{*sid, at(sp, "id")};
  return true;
}

// "sites": {site id: {strategy?, size?, max_size?, source?}}: what a site changes in the slot.
void parse_slot_sites(ConfigReader& r, const json& v, const std::string& p, SlotConfig& sc) {
  if (!v.is_object()) return r.error(p, std::string("expected an object {site: {strategy?, size?, max_size?, source?}}, got ") + v.type_name());
  if (v.size() > kMaxSites) return r.error(p, "more than " + std::to_string(kMaxSites) + " site overrides");
  for (auto it = v.begin(); it != v.end(); ++it) {  // keys come sorted
    std::string op = at(p, it.key());
    const json& o = it.value();
    if (!r.object(o, op, {"strategy", "size", "max_size", "source"})) continue;
    SlotSiteOverrideConfig ov;
    ov.site = IdRef{it.key(), op};
    ov.where = op;
    if (auto st = r.id(o, "strategy", op, false)) ov.strategy = IdRef{*st, at(op, "strategy")};
    if (auto size = r.integer(o, "size", op, 1, 65535)) ov.size = static_cast<uint16_t>(*size);
    if (auto max_size = r.integer(o, "max_size", op, 1, 65535)) ov.max_size = static_cast<uint16_t>(*max_size);
    if (const json* src = r.member(o, "source", op, false)) {
      fb::SourceKind kind{};
      if (parse_slot_source(r, *src, at(op, "source"), kind, ov.source_id)) ov.source = kind;
    }
    if (!ov.strategy && !ov.size && !ov.max_size && !ov.source)
      r.error(op, "an override changes at least one of strategy, size, max_size, source");
    const uint16_t size = ov.size.value_or(sc.size), max_size = ov.max_size.value_or(sc.max_size);
    if (size > max_size)
      r.error(op, "size " + std::to_string(size) + " is larger than max_size " + std::to_string(max_size) +
                      " on this site");
    sc.site_overrides.push_back(std::move(ov));
  }
}

void parse_slots(ConfigReader& r, const json& root, Config& c) {
  const json* v = r.member(root, "slots", "", true);
  if (!v) return;
  if (!v->is_array()) return r.error("slots", std::string("expected an array, got ") + v->type_name());
  std::map<std::string, std::string> seen;
  for (size_t i = 0; i < v->size(); ++i) {
    std::string p = at("slots", i);
    const json& s = (*v)[i];
    if (!r.object(s, p, {"id", "strategy", "source", "size", "max_size", "in_stock_only", "exclude_purchased",
                         "exclude_viewed", "condition", "filters", "stages", "diversity", "sites"}))
      continue;
    SlotConfig sc;
    auto id = r.id(s, "id", p);
    auto strategy = r.id(s, "strategy", p);
    if (id) r.unique(seen, *id, at(p, "id"));
    if (const json* src = r.member(s, "source", p, false)) {
      fb::SourceKind kind = sc.source;
      if (parse_slot_source(r, *src, at(p, "source"), kind, sc.source_id)) sc.source = kind;
    }
    auto size = r.integer(s, "size", p, 1, 65535);
    auto max_size = r.integer(s, "max_size", p, 1, 65535);
    if (size) sc.size = static_cast<uint16_t>(*size);
    if (max_size) sc.max_size = static_cast<uint16_t>(*max_size);
    if (sc.size > sc.max_size)
      r.error(at(p, "size"), "size " + std::to_string(sc.size) + " is larger than max_size " + std::to_string(sc.max_size));
    sc.in_stock_only = r.boolean(s, "in_stock_only", p).value_or(true);
    sc.exclude_purchased = r.boolean(s, "exclude_purchased", p).value_or(true);
    sc.exclude_viewed = r.boolean(s, "exclude_viewed", p).value_or(false);
    parse_condition(r, s, p, sc.condition, sc.condition_segments);
    parse_plugin_uses(r, s, "filters", p, PluginKind::kFilter, sc.filters);
    parse_plugin_uses(r, s, "stages", p, PluginKind::kStage, sc.stages);
    sc.diversity = parse_diversity(r, s, p, c);
    if (const json* sites = r.member(s, "sites", p, false)) parse_slot_sites(r, *sites, at(p, "sites"), sc);
    if (!id || !strategy) continue;
    sc.id = *id;
    sc.strategy = IdRef{*strategy, at(p, "strategy")};
    c.slots.push_back(std::move(sc));
  }
}

void parse_match_impl(ConfigReader& r, const json& m, const std::string& p, MatchConfig& out) {
  if (!r.object(m, p, {"items", "categories", "brands", "attribute", "values", "number"})) return;
  out.items = r.ids(m, "items", p);
  out.categories = r.ids(m, "categories", p);
  out.brands = r.ids(m, "brands", p);
  auto attribute = r.id(m, "attribute", p, false);
  out.values = r.ids(m, "values", p);
  auto values_it = m.find("values");
  bool has_values = values_it != m.end() && !values_it->is_null();
  if (attribute && !has_values) r.error(at(p, "values"), "is required with attribute");
  if (!attribute && has_values) r.error(at(p, "attribute"), "is required with values");
  if (attribute) out.attribute = IdRef{*attribute, at(p, "attribute")};
  if (const json* n = r.member(m, "number", p, false)) {
    std::string np = at(p, "number");
    if (r.object(*n, np, {"attribute", "min", "max"})) {
      auto a = r.id(*n, "attribute", np);
      auto lo = r.number(*n, "min", np);
      auto hi = r.number(*n, "max", np);
      if (lo && hi && *lo > *hi) r.error(np, "min is larger than max");
      if (a) {
        NumberMatch nm;
        nm.attribute = IdRef{*a, at(np, "attribute")};
        if (lo) nm.min = static_cast<float>(*lo);
        if (hi) nm.max = static_cast<float>(*hi);
        out.number = nm;
      }
    }
  }
}

void parse_rules(ConfigReader& r, const json& root, Config& c) {
  const json* v = r.member(root, "rules", "", false);
  if (!v) return;
  if (!v->is_array()) return r.error("rules", std::string("expected an array, got ") + v->type_name());
  std::map<std::string, std::string> seen;
  for (size_t i = 0; i < v->size(); ++i) {
    std::string p = at("rules", i);
    const json& j = (*v)[i];
    if (!r.object(j, p, {"id", "action", "amount", "position", "slots", "sites", "match", "schedule", "condition"})) continue;
    RuleConfig rc;
    auto id = r.id(j, "id", p);
    if (id) r.unique(seen, *id, at(p, "id"));
    auto action = r.text(j, "action", p, true);
    int a = action ? index_of(kActions, *action) : -1;
    if (action && a < 0)
      r.error(at(p, "action"), "unknown action " + quote_value(*action) + " (expected one of: " + one_of(kActions) + ")");
    if (a >= 0) rc.action = static_cast<fb::RuleAction>(a);
    bool scored = rc.action == fb::RuleAction::Boost || rc.action == fb::RuleAction::Bury;
    auto amount = r.number(j, "amount", p, a >= 0 && scored);
    if (amount && a >= 0 && !scored) r.error(at(p, "amount"), "only boost and bury rules take an amount");
    else if (amount && *amount < 0) r.error(at(p, "amount"), "must be >= 0 (bury lowers a score, boost raises it)");
    else if (amount) rc.amount = static_cast<float>(*amount);
    if (r.member(j, "position", p, false)) {
      auto x = r.integer(j, "position", p, INT64_MIN, INT64_MAX);
      if (a >= 0 && rc.action != fb::RuleAction::Pin) r.error(at(p, "position"), "only pin rules take a position");
      else if (x && *x < 1) r.error(at(p, "position"), std::to_string(*x) + " is not a position (positions start at 1)");
      else if (x && *x > 65535) r.error(at(p, "position"), "must be <= 65535");
      else if (x) rc.position = static_cast<uint16_t>(*x);
    }
    rc.slots = r.ids(j, "slots", p);
    rc.sites = r.ids(j, "sites", p);
    if (const json* m = r.member(j, "match", p, true)) parse_match_impl(r, *m, at(p, "match"), rc.match);
    if (const json* s = r.member(j, "schedule", p, false)) parse_schedule(r, *s, at(p, "schedule"), rc.starts_at, rc.ends_at);
    parse_condition(r, j, p, rc.condition, rc.condition_segments);
    if (!id || a < 0) continue;
    rc.id = *id;
    c.rules.push_back(std::move(rc));
  }
}

}  // namespace

void parse_match(ConfigReader& r, const json& m, const std::string& path, MatchConfig& out) {
  parse_match_impl(r, m, path, out);
}

const char* term_kind_config_name(fb::TermKind kind) {
  auto k = static_cast<size_t>(kind);
  return k < std::size(kTermKinds) ? kTermKinds[k] : "unknown";
}

bool parse_config(std::string_view text, const std::string& file, const std::filesystem::path& base_dir,
                  Config& c, ErrorList& errors) {
  const size_t before = errors.messages().size();
  c = Config();
  c.file = file;
  json root;
  std::string why;
  if (!parse_json(text, root, why)) {
    errors.add(file + ": invalid JSON at " + why);
    return false;
  }
  ConfigReader r(c.file, base_dir, errors);
  if (!r.object(root, "", {"$schema", "schema", "tenant", "version", "built_at", "sites", "categories", "brands",
                           "items", "attributes", "embedding", "collections", "deny", "strategies", "slots", "rules",
                           "segments", "segments_source", "policies", "inventory", "accounts", "roles", "price_lists", "events", "signing",
                           "experiments", "site_overrides", "profile_traits"}))
    return false;
  if (auto schema = r.integer(root, "schema", "", 0, INT32_MAX, true); schema && *schema != 1)
    r.error("schema", "config schema " + std::to_string(*schema) + " is not supported (this tailor reads 1)");
  if (const json* t = r.member(root, "tenant", "", true); t && r.object(*t, "tenant", {"id", "name", "currency"})) {
    auto id = r.text(*t, "id", "tenant", true);
    if (id && !valid_tenant_id(*id))
      r.error("tenant.id", quote_value(*id) + " is not a tenant id ([a-z0-9][a-z0-9_-]{0,63})");
    c.tenant_id = id.value_or("");
    c.tenant_name = r.text(*t, "name", "tenant").value_or("");
    parse_tenant_currency(r, *t, c);
  }
  c.version = r.text(root, "version", "");
  if (c.version && c.version->empty()) r.error("version", "must not be empty");
  c.built_at = r.timestamp(root, "built_at", "");
  parse_sites(r, root, c);
  c.categories = r.source(root, "categories", "", false);
  c.brands = r.source(root, "brands", "", false);
  if (auto items = r.source(root, "items", "", true)) c.items = *items;
  parse_inventory(r, root, c);
  parse_attributes(r, root, c);
  parse_embedding(r, root, c);
  parse_collections(r, root, c);
  parse_deny(r, root, c);
  parse_strategies(r, root, c);
  parse_slots(r, root, c);
  parse_rules(r, root, c);
  parse_segments(r, root, c);
  parse_policies(r, root, c);
  parse_b2b_config(r, root, c);
  parse_signing(r, root, c.signing);
  parse_experiments(r, root, c);
  if (!c.segments_source) check_condition_refs(r, c);  // else after the source is read
  if (!c.account_attributes.empty() && !c.b2b.accounts)
    r.error(at(c.account_attributes[0].where, "on"), "attributes on accounts need the accounts source");
  c.site_overrides = r.source(root, "site_overrides", "", false);
  return errors.messages().size() == before && !errors.full();
}

}  // namespace tailor::sync
