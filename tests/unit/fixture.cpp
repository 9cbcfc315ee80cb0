#include "fixture.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace tailor::test {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;
using StrOffsets = std::vector<Offset<flatbuffers::String>>;

Bytes::Bytes(const uint8_t* data, size_t size) : words_((size + 7) / 8 + 1, 0), size_(size) {
  if (size) std::memcpy(words_.data(), data, size);
}

namespace {

StrOffsets strings(FlatBufferBuilder& b, const std::vector<std::string>& v) {
  StrOffsets out;
  for (auto& s : v) out.push_back(b.CreateString(s));
  return out;
}

Bytes finish(FlatBufferBuilder& b, flatbuffers::uoffset_t root, const char* identifier) {
  b.Finish(Offset<void>(root), identifier);
  return Bytes(b.GetBufferPointer(), b.GetSize());
}

Offset<fb::Attribute> attribute(FlatBufferBuilder& b, const AttrSpec& a) {
  auto name = a.name.c_str();
  switch (a.type) {
    case fb::AttributeType::Number: {
      float lo = 0, hi = 0;
      bool any = false;
      for (float v : a.numbers)
        if (!std::isnan(v)) {
          lo = any ? std::min(lo, v) : v;
          hi = any ? std::max(hi, v) : v;
          any = true;
        }
      if (a.range) std::tie(lo, hi) = *a.range;
      return fb::CreateAttributeDirect(b, name, a.type, false, &a.numbers, lo, hi);
    }
    case fb::AttributeType::Categorical: {
      auto dict = strings(b, a.dict);
      return fb::CreateAttributeDirect(b, name, a.type, false, nullptr, 0, 0, &dict,
                                       a.omit_codes ? nullptr : &a.codes);
    }
    default: {
      auto dict = strings(b, a.dict);
      std::vector<uint32_t> offsets{0}, tags;
      for (auto& t : a.tags) {
        tags.insert(tags.end(), t.begin(), t.end());
        offsets.push_back(static_cast<uint32_t>(tags.size()));
      }
      return fb::CreateAttributeDirect(b, name, a.type, false, nullptr, 0, 0, &dict, nullptr, &offsets, &tags);
    }
  }
}

Offset<fb::Items> items(FlatBufferBuilder& b, const SnapSpec& s) {
  const size_t n = s.items.size();
  std::vector<std::string> id_strings;
  for (auto& it : s.items) id_strings.push_back(it.id);
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t c) { return id_strings[a] < id_strings[c]; });
  std::vector<int32_t> category, brand, stock;
  std::vector<float> price, popularity, emb;
  std::vector<int64_t> published;
  std::vector<uint64_t> sites;
  std::vector<int8_t> emb_i8;
  std::vector<float> emb_scale;
  std::vector<std::string> titles;
  for (auto& it : s.items) {
    titles.push_back("Title " + it.id);
    category.push_back(it.category);
    brand.push_back(it.brand);
    price.push_back(it.price);
    popularity.push_back(it.popularity);
    published.push_back(it.published_at);
    stock.push_back(it.stock);
    sites.push_back(it.site_mask);
    for (uint16_t d = 0; d < s.embedding_dim; ++d) emb.push_back(d < it.embedding.size() ? it.embedding[d] : 0.0f);
  }
  if (s.embedding_int8) {
    for (size_t i = 0; i < n; ++i) {
      float mx = 0;
      for (uint16_t d = 0; d < s.embedding_dim; ++d) mx = std::max(mx, std::fabs(emb[i * s.embedding_dim + d]));
      float scale = mx > 0 ? mx / 127.0f : 1.0f;
      emb_scale.push_back(scale);
      for (uint16_t d = 0; d < s.embedding_dim; ++d)
        emb_i8.push_back(static_cast<int8_t>(std::lround(emb[i * s.embedding_dim + d] / scale)));
    }
  }
  std::vector<Offset<fb::Attribute>> attrs;
  for (auto& a : s.attributes) attrs.push_back(attribute(b, a));
  auto id_offsets = strings(b, id_strings);
  auto title_offsets = strings(b, titles);
  if (s.price_column) price = *s.price_column;
  if (s.embedding_f32_column) emb = *s.embedding_f32_column;
  const bool f32 = s.embedding_dim > 0 && !s.embedding_int8;
  return fb::CreateItemsDirect(b, &id_offsets, s.with_id_order ? &order : nullptr, &title_offsets, &category,
                               &brand, &price, &popularity, &published, &stock, &sites,
                               attrs.empty() ? nullptr : &attrs, s.embedding_dim, f32 ? &emb : nullptr,
                               s.embedding_int8 ? &emb_i8 : nullptr, s.embedding_int8 ? &emb_scale : nullptr);
}

Offset<fb::Rule> rule(FlatBufferBuilder& b, const RuleSpec& r) {
  Offset<fb::ItemMatch> match = 0;
  if (r.match) {
    const MatchSpec& m = *r.match;
    match = fb::CreateItemMatchDirect(b, m.items.empty() ? nullptr : &m.items,
                                      m.categories.empty() ? nullptr : &m.categories,
                                      m.brands.empty() ? nullptr : &m.brands, m.attribute,
                                      m.values.empty() ? nullptr : &m.values, m.number_attribute, m.number_min,
                                      m.number_max);
  }
  return fb::CreateRuleDirect(b, r.id.c_str(), r.action, r.amount, r.position, r.slots.empty() ? nullptr : &r.slots,
                              r.sites.empty() ? nullptr : &r.sites, match, r.starts_at, r.ends_at);
}

}  // namespace

Bytes build_snapshot(const SnapSpec& s) {
  FlatBufferBuilder b;
  std::vector<Offset<fb::Site>> sites;
  for (auto& id : s.sites) sites.push_back(fb::CreateSiteDirect(b, id.c_str()));
  std::vector<Offset<fb::Category>> cats;
  for (auto& c : s.categories) cats.push_back(fb::CreateCategoryDirect(b, c.id.c_str(), nullptr, c.parent));
  std::vector<Offset<fb::Brand>> brands;
  for (auto& id : s.brands) brands.push_back(fb::CreateBrandDirect(b, id.c_str()));
  auto it = items(b, s);
  std::vector<Offset<fb::Collection>> cols;
  for (auto& [id, members] : s.collections) cols.push_back(fb::CreateCollectionDirect(b, id.c_str(), &members));
  std::vector<Offset<fb::Strategy>> strats;
  for (auto& st : s.strategies) {
    std::vector<Offset<fb::Term>> terms;
    for (auto& t : st.terms)
      terms.push_back(fb::CreateTermDirect(b, t.name.empty() ? nullptr : t.name.c_str(), t.kind, t.weight, t.attribute,
                                           t.half_life_days, t.personal));
    strats.push_back(fb::CreateStrategyDirect(b, st.id.c_str(), &terms));
  }
  std::vector<Offset<fb::Slot>> slots;
  for (auto& sl : s.slots)
    slots.push_back(fb::CreateSlotDirect(b, sl.id.c_str(), sl.source, sl.source_index, sl.strategy, sl.size,
                                         sl.max_size, sl.in_stock_only, sl.exclude_purchased, sl.exclude_viewed));
  std::vector<Offset<fb::Rule>> rules;
  for (auto& r : s.rules) rules.push_back(rule(b, r));
  std::vector<Offset<fb::DenyList>> deny;
  for (auto& d : s.deny_lists) deny.push_back(fb::CreateDenyListDirect(b, d.site, &d.items));
  auto tenant = fb::CreateTenantDirect(b, s.tenant.c_str());
  auto root = fb::CreateSnapshotDirect(
      b, s.schema_version, s.min_engine, s.version.c_str(), s.built_at, tenant, sites.empty() ? nullptr : &sites,
      cats.empty() ? nullptr : &cats, brands.empty() ? nullptr : &brands, it, cols.empty() ? nullptr : &cols,
      strats.empty() ? nullptr : &strats, slots.empty() ? nullptr : &slots, rules.empty() ? nullptr : &rules,
      deny.empty() ? nullptr : &deny);
  return finish(b, root.o, s.identifier);
}

SnapSpec flat_catalog(std::vector<float> pops) {
  SnapSpec s;
  for (size_t i = 0; i < pops.size(); ++i) {
    ItemSpec it;
    it.id = "i" + std::to_string(i);
    it.popularity = pops[i];
    s.items.push_back(it);
  }
  s.strategies = {{"pop", {{fb::TermKind::Popularity, 1.0f}}}};
  s.slots = {{"all", 0}};
  return s;
}

SnapSpec rich_catalog() {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const int64_t B = kBuiltAt;
  SnapSpec s;
  s.built_at = B;
  s.sites = {"us", "eu"};
  s.categories = {{"apparel", -1}, {"footwear", 0}, {"running", 1}, {"books", -1}};
  s.brands = {"acme", "zenith"};
  s.embedding_dim = 2;
  //        id        cat brand price    pop   published    stock site  embedding
  s.items = {{"jacket", 0, 0, 129.99f, 0.9f, B - 10 * kDay, 5, 0, {1.0f, 0.0f}},
             {"boot", 1, 1, 89.5f, 0.7f, B - 100 * kDay, 0, 0, {0.0f, 1.0f}},
             {"runner", 2, 0, 120.0f, 0.5f, B - 1 * kDay, 3, 0b01, {0.6f, 0.8f}},
             {"novel", 3, -1, 15.0f, 0.3f, 0, -1, 0b10, {0.8f, 0.6f}},
             {"sock", 2, 1, 9.0f, 0.1f, B - 30 * kDay, -1, 0, {-1.0f, 0.0f}},
             {"cap", 0, 0, 20.0f, 0.6f, B - 5 * kDay, 10, 0, {0.0f, -1.0f}}};
  AttrSpec rating{"rating", fb::AttributeType::Number, {4.0f, 3.0f, 5.0f, nan, 2.0f, 3.5f}};
  AttrSpec color{"color", fb::AttributeType::Categorical};
  color.dict = {"blue", "green", "red"};
  color.codes = {2, 0, 1, kMissingCode, 0, 2};
  AttrSpec tags{"tags", fb::AttributeType::TagSet};
  tags.dict = {"eco", "sale", "trail"};
  tags.tags = {{1}, {2}, {0, 2}, {}, {0, 1}, {}};
  s.attributes = {rating, color, tags};
  s.strategies = {{"pop", {{fb::TermKind::Popularity, 1.0f}}}};
  SlotSpec all{"all", 0};
  all.in_stock_only = false;
  s.slots = {all};
  return s;
}

Bytes build_profile(const ProfileSpec& p) {
  FlatBufferBuilder b;
  std::vector<Offset<fb::Affinity>> cats, brands;
  for (auto& [k, w] : p.categories) cats.push_back(fb::CreateAffinityDirect(b, k.c_str(), w));
  for (auto& [k, w] : p.brands) brands.push_back(fb::CreateAffinityDirect(b, k.c_str(), w));
  std::vector<Offset<fb::AttributeAffinity>> attrs;
  for (auto& a : p.attributes)
    attrs.push_back(fb::CreateAttributeAffinityDirect(b, a.attribute.c_str(), a.value.c_str(), a.weight));
  auto viewed = strings(b, p.recent_viewed);
  auto bought = strings(b, p.recent_bought);
  auto consent = strings(b, p.consent);
  auto root = fb::CreateProfileDirect(b, 1, p.user_hash.c_str(),
                                      p.tenant.empty() ? nullptr : p.tenant.c_str(), nullptr, 0, &cats, &brands, &attrs,
                                      p.embedding.empty() ? nullptr : &p.embedding, nullptr, &viewed, &bought,
                                      &consent);
  return finish(b, root.o, p.identifier);
}

nlohmann::json parse(std::string_view text) { return nlohmann::json::parse(text.begin(), text.end(), nullptr, false); }

Status decide_status(const SnapSpec& spec, std::string_view request, const Bytes* profile) {
  Engine engine;
  Bytes snap = build_snapshot(spec);
  Status st = engine.load_snapshot(snap.span());
  if (!st.ok()) return st;
  return engine.decide(request, profile ? profile->span() : std::span<const uint8_t>());
}

nlohmann::json decide(const SnapSpec& spec, std::string_view request, const Bytes* profile) {
  Engine engine;
  Bytes snap = build_snapshot(spec);
  Status st = engine.load_snapshot(snap.span());
  INFO("load_snapshot: ", st.message());
  REQUIRE(st.ok());
  st = engine.decide(request, profile ? profile->span() : std::span<const uint8_t>());
  INFO("decide: ", st.message());
  REQUIRE(st.ok());
  nlohmann::json out = parse(engine.output());
  REQUIRE(out.is_object());
  return out;
}

std::vector<std::string> ids(const nlohmann::json& d, size_t s) {
  std::vector<std::string> out;
  if (!d.contains("slots") || !d["slots"].is_array() || d["slots"].size() <= s) return out;
  for (auto& it : d["slots"][s]["items"])
    if (it.contains("id") && it["id"].is_string()) out.push_back(it["id"].get<std::string>());
  return out;
}

nlohmann::json item(const nlohmann::json& d, std::string_view id, size_t s) {
  if (!d.contains("slots") || !d["slots"].is_array() || d["slots"].size() <= s) return nullptr;
  for (auto& it : d["slots"][s]["items"])
    if (it.contains("id") && it["id"] == id) return it;
  return nullptr;
}

nlohmann::json term(const nlohmann::json& it, std::string_view name) {
  if (!it.is_object() || !it.contains("explain")) return nullptr;
  for (auto& t : it["explain"]["terms"])
    if (t.contains("name") && t["name"] == name) return t;
  return nullptr;
}

double num(const nlohmann::json& v) { return v.is_number() ? v.get<double>() : std::nan(""); }

}  // namespace tailor::test
