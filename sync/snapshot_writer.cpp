#include "snapshot_writer.h"

#include <algorithm>
#include <cmath>

#include <flatbuffers/flatbuffers.h>

#include "plugin_config.h"
#include "diversity_config.h"
#include "feature_level.h"
#include "attributes.h"
#include "sites.h"
#include "tailor/snapshot.h"

namespace tailor::sync {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;
using flatbuffers::String;

// An optional string: absent rather than empty.
Offset<String> opt(FlatBufferBuilder& fbb, const std::string& s) { return s.empty() ? 0 : fbb.CreateString(s); }

Offset<fb::Items> write_items(FlatBufferBuilder& fbb, const Config& c, const Catalog& cat) {
  const uint32_t n = cat.item_count();
  std::vector<uint32_t> order(n);
  for (uint32_t i = 0; i < n; ++i) order[i] = i;
  // Bytewise order, as the engine's binary search compares string_views.
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return cat.ids[a] < cat.ids[b]; });

  auto ids = fbb.CreateVectorOfStrings(cat.ids);
  auto id_order = fbb.CreateVector(order);
  auto titles = fbb.CreateVectorOfStrings(cat.titles);
  auto category = fbb.CreateVector(cat.category);
  auto brand = fbb.CreateVector(cat.brand);
  auto price = fbb.CreateVector(cat.price);
  auto popularity = fbb.CreateVector(cat.popularity);
  auto published_at = fbb.CreateVector(cat.published_at);
  auto stock = fbb.CreateVector(cat.stock);
  auto site_mask = fbb.CreateVector(cat.site_mask);
  std::vector<Offset<fb::Attribute>> attrs;
  for (size_t a = 0; a < c.attributes.size(); ++a) attrs.push_back(write_attribute(fbb, c.attributes[a].name, cat.attributes[a]));
  auto attributes = fbb.CreateVector(attrs);

  const uint16_t dim = c.embedding.dim;
  Offset<flatbuffers::Vector<float>> emb_f32, emb_scale;
  Offset<flatbuffers::Vector<int8_t>> emb_i8;
  if (dim > 0 && !c.embedding.int8) {
    emb_f32 = fbb.CreateVector(cat.embedding);
  } else if (dim > 0) {
    // Per item: scale = max |v| / 127, q = round(v / scale), from the unit-length vector.
    std::vector<int8_t> q(size_t(n) * dim, 0);
    std::vector<float> scale(n, 0.0f);
    for (uint32_t i = 0; i < n; ++i) {
      const float* v = cat.embedding.data() + size_t(i) * dim;
      float maxabs = 0;
      for (uint16_t k = 0; k < dim; ++k) maxabs = std::max(maxabs, std::fabs(v[k]));
      if (maxabs == 0) continue;
      scale[i] = maxabs / 127.0f;
      for (uint16_t k = 0; k < dim; ++k) {
        float x = std::round(v[k] / scale[i]);
        q[size_t(i) * dim + k] = static_cast<int8_t>(std::clamp(x, -127.0f, 127.0f));
      }
    }
    emb_i8 = fbb.CreateVector(q);
    emb_scale = fbb.CreateVector(scale);
  }

  fb::ItemsBuilder b(fbb);
  b.add_ids(ids);
  b.add_id_order(id_order);
  b.add_titles(titles);
  b.add_category(category);
  b.add_brand(brand);
  b.add_price(price);
  b.add_popularity(popularity);
  b.add_published_at(published_at);
  b.add_stock(stock);
  b.add_site_mask(site_mask);
  b.add_attributes(attributes);
  b.add_embedding_dim(dim);
  if (!emb_f32.IsNull()) b.add_embedding_f32(emb_f32);
  if (!emb_i8.IsNull()) {
    b.add_embedding_i8(emb_i8);
    b.add_embedding_scale(emb_scale);
  }
  return b.Finish();
}

Offset<fb::Strategy> write_strategy(FlatBufferBuilder& fbb, const ResolvedStrategy& s) {
  std::vector<Offset<fb::Term>> terms;
  for (const ResolvedTerm& t : s.terms) {
    auto name = fbb.CreateString(t.name);
    auto plugin = t.plugin ? write_plugin_ref(fbb, *t.plugin) : 0;
    fb::TermBuilder b(fbb);
    b.add_name(name);
    b.add_kind(t.kind);
    b.add_weight(t.weight);
    b.add_attribute(t.attribute);
    b.add_half_life_days(t.half_life_days);
    b.add_personal(t.personal);
    if (t.plugin) b.add_plugin(plugin);
    terms.push_back(b.Finish());
  }
  auto terms_v = fbb.CreateVector(terms);
  auto id = fbb.CreateString(s.id);
  return fb::CreateStrategy(fbb, id, terms_v);
}

Offset<fb::Slot> write_slot(FlatBufferBuilder& fbb, const ResolvedSlot& s) {
  const SlotConfig& c = *s.config;
  auto id = fbb.CreateString(c.id);
  auto condition = c.condition.empty() ? 0 : fbb.CreateVector(c.condition);
  // Plugin uses only when present, so snapshots without plugins keep their bytes.
  auto plugin_refs = [&](const std::vector<PluginUseConfig>& uses) {
    std::vector<Offset<fb::PluginRef>> refs;
    for (const PluginUseConfig& u : uses) refs.push_back(write_plugin_ref(fbb, u));
    return refs.empty() ? 0 : fbb.CreateVector(refs);
  };
  auto filters = plugin_refs(c.filters);
  auto stages = plugin_refs(c.stages);
  auto diversity = write_diversity(fbb, c.diversity);
  std::vector<Offset<fb::SlotSiteOverride>> overrides;
  for (const ResolvedSlotOverride& o : s.site_overrides)
    overrides.push_back(fb::CreateSlotSiteOverride(fbb, o.site, o.strategy, o.size, o.max_size, o.has_source, o.source,
                                                   o.source_index));
  Offset<flatbuffers::Vector<Offset<fb::SlotSiteOverride>>> overrides_v;
  if (!overrides.empty()) overrides_v = fbb.CreateVector(overrides);
  fb::SlotBuilder b(fbb);
  b.add_id(id);
  b.add_source(c.source);
  b.add_source_index(s.source_index);
  b.add_strategy(s.strategy);
  b.add_size(c.size);
  b.add_max_size(c.max_size);
  b.add_in_stock_only(c.in_stock_only);
  b.add_exclude_purchased(c.exclude_purchased);
  b.add_exclude_viewed(c.exclude_viewed);
  b.add_condition(condition);
  if (!c.filters.empty()) b.add_filters(filters);
  if (!c.stages.empty()) b.add_stages(stages);
  if (!diversity.IsNull()) b.add_diversity(diversity);
  if (!overrides_v.IsNull()) b.add_site_overrides(overrides_v);
  return b.Finish();
}

Offset<fb::Rule> write_rule(FlatBufferBuilder& fbb, const ResolvedRule& r) {
  const RuleConfig& c = *r.config;
  const ResolvedMatch& m = r.match;
  auto id = fbb.CreateString(c.id);
  auto slots = fbb.CreateVector(r.slots);
  auto sites = fbb.CreateVector(r.sites);
  auto items = fbb.CreateVector(m.items);
  auto categories = fbb.CreateVector(m.categories);
  auto brands = fbb.CreateVector(m.brands);
  auto values = fbb.CreateVector(m.values);
  fb::ItemMatchBuilder mb(fbb);
  mb.add_items(items);
  mb.add_categories(categories);
  mb.add_brands(brands);
  mb.add_attribute(m.attribute);
  if (m.attribute >= 0) mb.add_values(values);
  mb.add_number_attribute(m.number_attribute);
  if (m.number_attribute >= 0) {
    mb.add_number_min(m.number_min);
    mb.add_number_max(m.number_max);
  }
  auto match = mb.Finish();
  auto condition = c.condition.empty() ? 0 : fbb.CreateVector(c.condition);
  fb::RuleBuilder b(fbb);
  b.add_id(id);
  b.add_action(c.action);
  b.add_amount(c.amount);
  b.add_position(c.position);
  b.add_slots(slots);
  b.add_sites(sites);
  b.add_match(match);
  b.add_starts_at(c.starts_at);
  b.add_ends_at(c.ends_at);
  b.add_condition(condition);
  return b.Finish();
}

}  // namespace

std::vector<uint8_t> write_snapshot(const Config& c, const Catalog& cat, const Resolved& r, const std::string& version,
                                    int64_t built_at) {
  FlatBufferBuilder fbb(1 << 16);
  auto version_s = fbb.CreateString(version);
  // Children are created in statement order (never as sibling call arguments, whose evaluation
  // order is unspecified) so every compiler lays out the same bytes.
  auto tenant_id = fbb.CreateString(c.tenant_id);
  auto tenant_name = opt(fbb, c.tenant_name);
  auto tenant_currency = opt(fbb, c.b2b.currency);
  auto tenant = fb::CreateTenant(fbb, tenant_id, tenant_name, tenant_currency);

  std::vector<Offset<fb::Site>> sites;
  for (const SiteConfig& s : c.sites) {
    auto id = fbb.CreateString(s.id);
    auto name = opt(fbb, s.name);
    auto brand = opt(fbb, s.brand);
    auto currency = opt(fbb, s.currency);
    auto locale = opt(fbb, s.locale);
    sites.push_back(fb::CreateSite(fbb, id, name, brand, currency, locale));
  }
  std::vector<Offset<fb::Category>> categories;
  for (const CategoryRow& x : cat.categories) {
    auto id = fbb.CreateString(x.id);
    auto name = opt(fbb, x.name);
    categories.push_back(fb::CreateCategory(fbb, id, name, x.parent));
  }
  std::vector<Offset<fb::Brand>> brands;
  for (const BrandRow& x : cat.brands) {
    auto id = fbb.CreateString(x.id);
    auto name = opt(fbb, x.name);
    brands.push_back(fb::CreateBrand(fbb, id, name));
  }

  auto items = write_items(fbb, c, cat);

  std::vector<Offset<fb::Collection>> collections;
  for (const ResolvedCollection& x : r.collections) {
    auto id = fbb.CreateString(x.id);
    auto list = fbb.CreateVector(x.items);
    collections.push_back(fb::CreateCollection(fbb, id, list));
  }
  std::vector<Offset<fb::Strategy>> strategies;
  for (const ResolvedStrategy& s : r.strategies) strategies.push_back(write_strategy(fbb, s));
  std::vector<Offset<fb::Slot>> slots;
  for (const ResolvedSlot& s : r.slots) slots.push_back(write_slot(fbb, s));
  std::vector<Offset<fb::Rule>> rules;
  for (const ResolvedRule& x : r.rules) rules.push_back(write_rule(fbb, x));
  std::vector<Offset<fb::DenyList>> deny;
  for (const ResolvedDeny& d : r.deny_lists) {
    auto list = fbb.CreateVector(d.items);
    deny.push_back(fb::CreateDenyList(fbb, d.site, list));
  }

  std::vector<Offset<fb::Segment>> segments;
  for (const SegmentConfig& x : c.segments) {
    auto id = fbb.CreateString(x.id);
    auto name = opt(fbb, x.name);
    auto condition = x.condition.empty() ? 0 : fbb.CreateVector(x.condition);
    segments.push_back(fb::CreateSegment(fbb, id, name, condition));
  }

  auto sites_v = fbb.CreateVector(sites);
  auto categories_v = fbb.CreateVector(categories);
  auto brands_v = fbb.CreateVector(brands);
  auto collections_v = fbb.CreateVector(collections);
  auto strategies_v = fbb.CreateVector(strategies);
  auto slots_v = fbb.CreateVector(slots);
  auto rules_v = fbb.CreateVector(rules);
  auto deny_v = fbb.CreateVector(deny);
  auto segments_v = fbb.CreateVector(segments);
  auto policies_v = write_policies(fbb, r.policies);
  auto b2b = write_b2b(fbb, c, r.b2b);
  auto experiments_v = write_experiments(fbb, r.experiments);  // null when there are none
  auto site_items_v = write_site_items(fbb, r.site_items);
  // Declared profile traits: name and type only; the values are in each visitor's profile.
  Offset<flatbuffers::Vector<Offset<fb::Attribute>>> profile_attrs_v;
  if (!c.profile_attributes.empty()) {
    std::vector<Offset<fb::Attribute>> v;
    for (const AttributeConfig& a : c.profile_attributes) {
      AttributeColumn empty;
      empty.type = a.type;
      v.push_back(write_attribute(fbb, a.name, empty));
    }
    profile_attrs_v = fbb.CreateVector(v);
  }

  fb::SnapshotBuilder b(fbb);
  b.add_schema_version(kSchemaVersion);
  // Level 1 here; raised below to what the snapshot's features need (same bytes otherwise).
  b.add_min_engine(kFeatureLevelFoundation);
  b.add_version(version_s);
  b.add_built_at(built_at);
  b.add_tenant(tenant);
  b.add_sites(sites_v);
  b.add_categories(categories_v);
  b.add_brands(brands_v);
  b.add_items(items);
  b.add_collections(collections_v);
  b.add_strategies(strategies_v);
  b.add_slots(slots_v);
  b.add_rules(rules_v);
  b.add_deny_lists(deny_v);
  b.add_segments(segments_v);
  b.add_policies(policies_v);
  add_b2b(b, b2b);
  b.add_experiments(experiments_v);
  if (!site_items_v.IsNull()) b.add_site_items(site_items_v);
  if (!profile_attrs_v.IsNull()) b.add_profile_attributes(profile_attrs_v);
  fb::FinishSnapshotBuffer(fbb, b.Finish());
  std::vector<uint8_t> out(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  const uint32_t level = required_feature_level(*fb::GetSnapshot(out.data()));
  if (level != kFeatureLevelFoundation) stamp_min_engine(out, level);  // set above, so present
  return out;
}

}  // namespace tailor::sync
