#include "resolve.h"

#include <algorithm>
#include <map>

namespace tailor::sync {
namespace {

const char* type_name(AttrType t) {
  switch (t) {
    case AttrType::kNumber: return "number";
    case AttrType::kCategorical: return "categorical";
    default: return "tags";
  }
}

class Resolver {
 public:
  Resolver(const Config& c, const Catalog& cat, ErrorList& errors) : c_(c), cat_(cat), errors_(errors) {
    for (size_t i = 0; i < c.sites.size(); ++i) sites_.emplace(c.sites[i].id, static_cast<int32_t>(i));
    for (size_t i = 0; i < c.attributes.size(); ++i) attributes_.emplace(c.attributes[i].name, static_cast<int32_t>(i));
    for (size_t i = 0; i < c.strategies.size(); ++i) strategies_.emplace(c.strategies[i].id, static_cast<int32_t>(i));
    for (size_t i = 0; i < c.slots.size(); ++i) slots_.emplace(c.slots[i].id, static_cast<int32_t>(i));
    for (size_t i = 0; i < c.collections.size(); ++i) collections_.emplace(c.collections[i].id, static_cast<int32_t>(i));
  }

  void error(const std::string& where, const std::string& msg) { errors_.add(c_.file + ": " + where + ": " + msg); }

  int32_t lookup(const std::map<std::string, int32_t>& m, const IdRef& ref, const char* what) {
    auto it = m.find(ref.id);
    if (it != m.end()) return it->second;
    error(ref.where, std::string("unknown ") + what + " " + quote_value(ref.id));
    return -1;
  }
  int32_t site(const IdRef& r) { return lookup(sites_, r, "site"); }
  int32_t strategy(const IdRef& r) { return lookup(strategies_, r, "strategy"); }
  int32_t slot(const IdRef& r) { return lookup(slots_, r, "slot"); }
  int32_t collection(const IdRef& r) { return lookup(collections_, r, "collection"); }
  int32_t item(const IdRef& r) { return known(cat_.find_item(r.id), r, "item"); }
  int32_t category(const IdRef& r) { return known(cat_.find_category(r.id), r, "category"); }
  int32_t brand(const IdRef& r) { return known(cat_.find_brand(r.id), r, "brand"); }

  // The attribute named by `r`, which must be one of `types` (described by `need`).
  int32_t attribute(const IdRef& r, std::initializer_list<AttrType> types, const std::string& need) {
    int32_t a = lookup(attributes_, r, "attribute");
    if (a < 0) return -1;
    AttrType t = c_.attributes[a].type;
    if (std::find(types.begin(), types.end(), t) == types.end()) {
      error(r.where, "attribute " + quote_value(r.id) + " is " + type_name(t) + "; " + need);
      return -1;
    }
    return a;
  }

  template <class T, class F>
  std::vector<T> all(const std::vector<IdRef>& refs, F f) {
    std::vector<T> out;
    for (const IdRef& r : refs) {
      int32_t i = f(r);
      if (i >= 0) out.push_back(static_cast<T>(i));
    }
    return out;
  }

  void run(Resolved& out);
  // The catalog items `m` selects (sorted), evaluated as the engine evaluates a rule's matcher.
  std::vector<uint32_t> matching_items(const MatchConfig& m);

 private:
  int32_t known(int32_t i, const IdRef& r, const char* what) {
    if (i < 0) error(r.where, std::string("unknown ") + what + " " + quote_value(r.id));
    return i;
  }
  ResolvedMatch match(const MatchConfig& m);

  const Config& c_;
  const Catalog& cat_;
  ErrorList& errors_;
  std::map<std::string, int32_t> sites_, attributes_, strategies_, slots_, collections_;
};

ResolvedMatch Resolver::match(const MatchConfig& m) {
  ResolvedMatch out;
  out.items = all<uint32_t>(m.items, [&](const IdRef& r) { return item(r); });
  out.categories = all<int32_t>(m.categories, [&](const IdRef& r) { return category(r); });
  out.brands = all<int32_t>(m.brands, [&](const IdRef& r) { return brand(r); });
  std::sort(out.items.begin(), out.items.end());
  out.items.erase(std::unique(out.items.begin(), out.items.end()), out.items.end());
  if (m.attribute) {
    out.attribute = attribute(*m.attribute, {AttrType::kCategorical, AttrType::kTags},
                              "values match categorical or tags attributes (use number for a range)");
    if (out.attribute >= 0) {
      const AttributeColumn& col = cat_.attributes[out.attribute];
      for (const IdRef& v : m.values) {
        uint32_t code = col.code_of(v.id);
        if (code == kNoCode)
          error(v.where, "no item has " + quote_value(v.id) + " in attribute " + quote_value(m.attribute->id));
        else
          out.values.push_back(code);
      }
      std::sort(out.values.begin(), out.values.end());
      out.values.erase(std::unique(out.values.begin(), out.values.end()), out.values.end());
    }
  }
  if (m.number) {
    out.number_attribute = attribute(m.number->attribute, {AttrType::kNumber}, "number ranges need a number attribute");
    out.number_min = m.number->min;
    out.number_max = m.number->max;
  }
  return out;
}

std::vector<uint32_t> Resolver::matching_items(const MatchConfig& mc) {
  const ResolvedMatch m = match(mc);
  auto within = [&](int32_t c, int32_t want) {
    for (uint32_t steps = 0; c >= 0 && steps <= cat_.categories.size(); c = cat_.categories[c].parent, ++steps)
      if (c == want) return true;
    return false;
  };
  auto has = [](const auto& v, auto x) { return std::find(v.begin(), v.end(), x) != v.end(); };
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < cat_.item_count(); ++i) {
    if (!m.items.empty() && !std::binary_search(m.items.begin(), m.items.end(), i)) continue;
    if (!m.categories.empty()) {
      bool any = false;
      for (int32_t want : m.categories) any = any || within(cat_.category[i], want);
      if (!any) continue;
    }
    if (!m.brands.empty() && !has(m.brands, cat_.brand[i])) continue;
    if (m.attribute >= 0 && !m.values.empty()) {
      const AttributeColumn& col = cat_.attributes[m.attribute];
      bool any = false;
      if (col.type == AttrType::kCategorical) any = has(m.values, col.codes[i]);
      else
        for (uint32_t k = col.offsets[i]; k < col.offsets[i + 1] && !any; ++k) any = has(m.values, col.tags[k]);
      if (!any) continue;
    }
    if (m.number_attribute >= 0) {
      float v = cat_.attributes[m.number_attribute].numbers[i];
      if (!(v >= m.number_min && v <= m.number_max)) continue;
    }
    out.push_back(i);
  }
  return out;
}

void Resolver::run(Resolved& out) {
  for (const StrategyConfig& s : c_.strategies) {
    ResolvedStrategy rs{s.id, {}};
    for (const TermConfig& t : s.terms) {
      ResolvedTerm rt;
      rt.kind = t.kind;
      rt.weight = t.weight;
      rt.name = t.name;
      rt.half_life_days = t.half_life_days;
      rt.personal = term_is_personal(t.kind);
      if (t.plugin) rt.plugin = &*t.plugin;
      if (t.kind == fb::TermKind::Attribute && t.attribute)
        rt.attribute = attribute(*t.attribute, {AttrType::kNumber}, "an attribute term needs a number attribute");
      if (t.kind == fb::TermKind::AttributeAffinity && t.attribute)
        rt.attribute = attribute(*t.attribute, {AttrType::kCategorical, AttrType::kTags},
                                 "an attribute_affinity term needs a categorical or tags attribute");
      if ((t.kind == fb::TermKind::Embedding) && c_.embedding.dim == 0)
        error(t.where + ".kind", "embedding terms need the top-level embedding {dim}");
      rs.terms.push_back(std::move(rt));
    }
    out.strategies.push_back(std::move(rs));
  }

  for (const CollectionConfig& col : c_.collections) {
    ResolvedCollection rc{col.id, {}};
    std::map<uint32_t, std::string> seen;
    for (const IdRef& r : col.items) {
      int32_t i = item(r);
      if (i < 0) continue;
      auto [it, inserted] = seen.emplace(static_cast<uint32_t>(i), r.where);
      if (!inserted) error(r.where, "item " + quote_value(r.id) + " is listed twice (also " + it->second + ")");
      else rc.items.push_back(static_cast<uint32_t>(i));
    }
    out.collections.push_back(std::move(rc));
  }

  for (const SlotConfig& s : c_.slots) {
    ResolvedSlot rs{&s, strategy(s.strategy), -1, {}};
    if (s.source_id && s.source == fb::SourceKind::Category) rs.source_index = category(*s.source_id);
    if (s.source_id && s.source == fb::SourceKind::Collection) rs.source_index = collection(*s.source_id);
    for (const SlotSiteOverrideConfig& o : s.site_overrides) {
      ResolvedSlotOverride ro;
      ro.site = site(o.site);
      if (o.strategy) ro.strategy = strategy(*o.strategy);
      ro.size = o.size.value_or(0);
      ro.max_size = o.max_size.value_or(0);
      if (o.source) {
        ro.has_source = true;
        ro.source = *o.source;
        if (o.source_id && ro.source == fb::SourceKind::Category) ro.source_index = category(*o.source_id);
        if (o.source_id && ro.source == fb::SourceKind::Collection) ro.source_index = collection(*o.source_id);
      }
      if (ro.site >= 0) rs.site_overrides.push_back(ro);
    }
    std::sort(rs.site_overrides.begin(), rs.site_overrides.end(),
              [](const ResolvedSlotOverride& a, const ResolvedSlotOverride& b) { return a.site < b.site; });
    out.slots.push_back(std::move(rs));
  }

  for (const RuleConfig& r : c_.rules) {
    ResolvedRule rr;
    rr.config = &r;
    rr.slots = all<int32_t>(r.slots, [&](const IdRef& x) { return slot(x); });
    rr.sites = all<int32_t>(r.sites, [&](const IdRef& x) { return site(x); });
    rr.match = match(r.match);
    out.rules.push_back(std::move(rr));
  }

  auto deny_list = [&](int32_t site_index, const std::vector<IdRef>& refs) {
    ResolvedDeny d{site_index, all<uint32_t>(refs, [&](const IdRef& r) { return item(r); })};
    std::sort(d.items.begin(), d.items.end());
    d.items.erase(std::unique(d.items.begin(), d.items.end()), d.items.end());
    if (!d.items.empty()) out.deny_lists.push_back(std::move(d));
  };
  deny_list(-1, c_.deny.items);
  // One list per site, in site order.
  std::vector<std::pair<int32_t, const std::vector<IdRef>*>> per_site;
  for (const auto& [s, refs] : c_.deny.sites) {
    int32_t i = site(s);
    if (i >= 0) per_site.push_back({i, &refs});
  }
  std::sort(per_site.begin(), per_site.end());
  for (const auto& [i, refs] : per_site) deny_list(i, *refs);
}

}  // namespace

bool term_is_personal(fb::TermKind kind) {
  return kind == fb::TermKind::CategoryAffinity || kind == fb::TermKind::BrandAffinity ||
         kind == fb::TermKind::AttributeAffinity || kind == fb::TermKind::Embedding;
}

void resolve(const Config& config, const Catalog& catalog, Resolved& out, ErrorList& errors) {
  out = Resolved();
  Resolver resolver(config, catalog, errors);
  resolver.run(out);
  // Policies targeted by a matcher (custom attributes, brands, ...) get its items at build time:
  // the edge filters by the same sorted item list as for listed items.
  std::vector<std::vector<uint32_t>> matched(config.policies.size());
  for (size_t k = 0; k < config.policies.size(); ++k)
    if (config.policies[k].match) matched[k] = resolver.matching_items(*config.policies[k].match);
  resolve_policies(config, catalog, out.policies, errors, matched);
  resolve_experiments(config, out.strategies, out.slots, out.experiments, errors);
}

}  // namespace tailor::sync
