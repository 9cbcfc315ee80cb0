#include "diff.h"

#include <algorithm>
#include <bitset>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <string_view>
#include <utility>
#include <vector>

#include "config.h"
#include "inspect.h"
#include "json_parse.h"
#include "tailor/sha256.h"
#include "timestamp.h"

namespace tailor::sync {
namespace {

using nlohmann::ordered_json;

template <class V>
uint32_t len(const V* v) {
  return v ? v->size() : 0;
}

// A float as the shortest decimal that reads back the same; null when not finite.
ordered_json number(float f) {
  if (!std::isfinite(f)) return nullptr;
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f);
  double d = 0;
  std::from_chars(buf, end, d);
  if (d == std::floor(d) && std::fabs(d) < 9007199254740992.0) return static_cast<int64_t>(d);  // 70, not 70.0
  return d;
}

bool same_float(float x, float y) { return x == y || (x != x && y != y); }

ordered_json change(ordered_json from, ordered_json to) { return {{"from", std::move(from)}, {"to", std::move(to)}}; }

// Set-like change of two string arrays: {"added": n, "removed": n, "added_ids": [...], "removed_ids": [...]},
// or {"reordered": true} when only the order differs.
constexpr size_t kSetSample = 10;

bool all_strings(const ordered_json& v) {
  if (!v.is_array()) return false;
  for (const auto& e : v)
    if (!e.is_string()) return false;
  return true;
}

ordered_json set_change(const ordered_json& from, const ordered_json& to) {
  std::vector<std::string> a, b;
  for (const auto& e : from) a.push_back(e.get<std::string>());
  for (const auto& e : to) b.push_back(e.get<std::string>());
  std::vector<std::string> sa = a, sb = b;
  std::sort(sa.begin(), sa.end());
  std::sort(sb.begin(), sb.end());
  std::vector<std::string> added, removed;
  std::set_difference(sb.begin(), sb.end(), sa.begin(), sa.end(), std::back_inserter(added));
  std::set_difference(sa.begin(), sa.end(), sb.begin(), sb.end(), std::back_inserter(removed));
  ordered_json out = ordered_json::object();
  out["added"] = added.size();
  out["removed"] = removed.size();
  ordered_json ai = ordered_json::array(), ri = ordered_json::array();
  for (size_t i = 0; i < added.size() && i < kSetSample; ++i) ai.push_back(added[i]);
  for (size_t i = 0; i < removed.size() && i < kSetSample; ++i) ri.push_back(removed[i]);
  out["added_ids"] = std::move(ai);
  out["removed_ids"] = std::move(ri);
  if (added.empty() && removed.empty()) out["reordered"] = true;
  return out;
}

// Change of one field: a set change for string arrays, else {from, to}.
ordered_json field_change(const ordered_json& from, const ordered_json& to) {
  if (all_strings(from) && all_strings(to)) return set_change(from, to);
  return change(from, to);
}

// The running totals and the (capped) listing of one section.
class Section {
 public:
  explicit Section(size_t limit) : limit_(limit) {}
  uint64_t added = 0, removed = 0, changed = 0, unchanged = 0;

  void count_field(const std::string& field) {
    for (auto& f : fields_)
      if (f.first == field) {
        ++f.second;
        return;
      }
    fields_.emplace_back(field, 1);
  }
  bool listing() const { return limit_ == 0 || list_.size() < limit_; }
  void list(ordered_json entry) {
    if (listing()) list_.push_back(std::move(entry));
    else truncated_ = true;
  }
  void on_added(std::string_view id) {
    ++added;
    if (listing()) list({{"id", id}, {"change", "added"}});
    else truncated_ = true;
  }
  void on_removed(std::string_view id) {
    ++removed;
    if (listing()) list({{"id", id}, {"change", "removed"}});
    else truncated_ = true;
  }
  // `fields` holds each changed field's change; an empty object means unchanged.
  void on_compared(std::string_view id, ordered_json fields) {
    if (fields.empty()) {
      ++unchanged;
      return;
    }
    ++changed;
    for (auto& [k, v] : fields.items()) count_field(k);
    if (listing()) list({{"id", id}, {"change", "changed"}, {"fields", std::move(fields)}});
    else truncated_ = true;
  }
  uint64_t differences() const { return added + removed + changed; }

  ordered_json to_json() && {
    ordered_json f = ordered_json::object();
    for (auto& [k, n] : fields_) f[k] = n;
    return {{"added", added},         {"removed", removed},    {"changed", changed},
            {"unchanged", unchanged}, {"fields", std::move(f)}, {"list", std::move(list_)},
            {"truncated", truncated_}};
  }

 private:
  size_t limit_;
  std::vector<std::pair<std::string, uint64_t>> fields_;
  ordered_json list_ = ordered_json::array();
  bool truncated_ = false;
};

// ---- id resolution ----

std::string_view item_id(const Snapshot& s, uint32_t i) { return sv(s.items().ids()->Get(i)); }

template <class T>
ordered_json ref(const flatbuffers::Vector<flatbuffers::Offset<T>>* v, int32_t i) {
  if (!v || i < 0 || static_cast<uint32_t>(i) >= v->size()) return nullptr;
  return sv(v->Get(static_cast<uint32_t>(i))->id());
}

ordered_json item_ids(const Snapshot& s, const flatbuffers::Vector<uint32_t>* v) {
  ordered_json out = ordered_json::array();
  if (v)
    for (uint32_t i : *v) out.push_back(item_id(s, i));
  return out;
}

template <class T, class I>
ordered_json refs(const flatbuffers::Vector<flatbuffers::Offset<T>>* table, const flatbuffers::Vector<I>* v) {
  ordered_json out = ordered_json::array();
  if (v)
    for (I i : *v) out.push_back(ref(table, static_cast<int32_t>(i)));
  return out;
}

ordered_json strings(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* v) {
  ordered_json out = ordered_json::array();
  if (v)
    for (auto* s : *v) out.push_back(sv(s));
  return out;
}

// A compiled condition as a short fingerprint (the bytes themselves are not readable).
ordered_json condition(const flatbuffers::Vector<uint8_t>* v) {
  if (!v || v->size() == 0) return nullptr;
  return std::to_string(v->size()) + " bytes, sha256 " +
         sha256_hex(std::span<const uint8_t>(v->data(), v->size())).substr(0, 12);
}

ordered_json text(const flatbuffers::String* s) { return s ? ordered_json(sv(s)) : ordered_json(nullptr); }


const char* attribute_type(fb::AttributeType t) {
  switch (t) {
    case fb::AttributeType::Number: return "number";
    case fb::AttributeType::Categorical: return "categorical";
    default: return "tags";
  }
}

// ---- keyed entities (everything but items and price list entries) ----

struct Entity {
  std::string id;
  ordered_json fields;  // flat: nested matchers as "match.items"
  uint32_t index = 0;   // position in its snapshot
};

using EntityHook = std::function<void(uint32_t ia, uint32_t ib, ordered_json& changes)>;

// Merges by id (stable: a duplicated id pairs in order) and compares field by field.
void diff_entities(std::vector<Entity> a, std::vector<Entity> b, Section& s, const EntityHook& hook = {}) {
  auto by_id = [](const Entity& x, const Entity& y) { return x.id < y.id; };
  std::stable_sort(a.begin(), a.end(), by_id);
  std::stable_sort(b.begin(), b.end(), by_id);
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].id < b[j].id)) {
      s.on_removed(a[i++].id);
    } else if (i == a.size() || b[j].id < a[i].id) {
      s.on_added(b[j++].id);
    } else {
      const Entity& x = a[i++];
      const Entity& y = b[j++];
      ordered_json changes = ordered_json::object();
      for (auto& [k, v] : x.fields.items()) {
        const ordered_json& w = y.fields.contains(k) ? y.fields[k] : ordered_json(nullptr);
        if (v != w) changes[k] = field_change(v, w);
      }
      for (auto& [k, w] : y.fields.items())
        if (!x.fields.contains(k) && !w.is_null()) changes[k] = field_change(nullptr, w);
      if (hook) hook(x.index, y.index, changes);
      s.on_compared(x.id, std::move(changes));
    }
  }
}

template <class T, class F>
std::vector<Entity> entities(const flatbuffers::Vector<flatbuffers::Offset<T>>* v, F fields) {
  std::vector<Entity> out;
  if (!v) return out;
  for (uint32_t i = 0; i < v->size(); ++i) {
    const T* e = v->Get(i);
    out.push_back({std::string(sv(e->id())), fields(*e), i});
  }
  return out;
}

// ---- items ----

// An item's embedding value k (f32, or int8 times its scale).
struct EmbeddingView {
  uint16_t dim = 0;
  const flatbuffers::Vector<float>* f32 = nullptr;
  const flatbuffers::Vector<int8_t>* i8 = nullptr;
  const flatbuffers::Vector<float>* scale = nullptr;
  explicit EmbeddingView(const Snapshot& s) : dim(s.embedding_dim()) {
    const fb::Items& it = s.items();
    if (it.embedding_f32() && it.embedding_f32()->size()) f32 = it.embedding_f32();
    else if (it.embedding_i8() && it.embedding_i8()->size()) {
      i8 = it.embedding_i8();
      scale = it.embedding_scale();
    }
    if (!f32 && !i8) dim = 0;
  }
  float at(uint32_t item, uint32_t k) const {
    size_t o = size_t(item) * dim + k;
    if (f32) return f32->Get(static_cast<uint32_t>(o));
    return static_cast<float>(i8->Get(static_cast<uint32_t>(o))) * (scale ? scale->Get(item) : 1.0f);
  }
};

// Item indices in id order: Items.id_order when it is sorted, else sorted here.
std::vector<uint32_t> id_order(const Snapshot& s) {
  const fb::Items& it = s.items();
  const uint32_t n = s.item_count();
  std::vector<uint32_t> order;
  order.reserve(n);
  if (it.id_order() && it.id_order()->size() == n) {
    order.assign(it.id_order()->begin(), it.id_order()->end());
    bool sorted = true;
    for (uint32_t k = 1; k < n && sorted; ++k) sorted = item_id(s, order[k - 1]) < item_id(s, order[k]);
    if (sorted) return order;
  }
  order.resize(n);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) { return item_id(s, x) < item_id(s, y); });
  return order;
}

// The sites of an item as a set in a space shared by both snapshots (site ids, not indices).
struct SiteSpace {
  std::vector<std::string> ids;     // union, sorted
  std::vector<int> from_a, from_b;  // own site index -> union index
  SiteSpace(const Snapshot& a, const Snapshot& b) {
    for (const Snapshot* s : {&a, &b})
      if (auto* v = s->root().sites())
        for (auto* site : *v) ids.emplace_back(sv(site->id()));
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    map(a, from_a);
    map(b, from_b);
  }
  void map(const Snapshot& s, std::vector<int>& out) const {
    if (auto* v = s.root().sites())
      for (auto* site : *v)
        out.push_back(static_cast<int>(std::lower_bound(ids.begin(), ids.end(), sv(site->id())) - ids.begin()));
  }
  static std::bitset<128> bits(uint64_t mask, const std::vector<int>& from) {
    std::bitset<128> out;
    for (uint32_t i = 0; i < 64 && i < from.size(); ++i)
      if ((mask >> i) & 1) out.set(static_cast<size_t>(from[i]));
    return out;
  }
  ordered_json describe(uint64_t mask, const std::vector<int>& from) const {
    if (mask == 0) return "all";
    ordered_json out = ordered_json::array();
    auto b = bits(mask, from);
    for (size_t i = 0; i < ids.size(); ++i)
      if (b.test(i)) out.push_back(ids[i]);
    return out;
  }
};

// A pair of same-named, same-typed attributes (only those are compared per item).
struct AttributePair {
  std::string name;
  const fb::Attribute* a;
  const fb::Attribute* b;
};

ordered_json category_value(const Snapshot& s, uint32_t i) {
  return s.items().category() ? ref(s.root().categories(), s.items().category()->Get(i)) : ordered_json(nullptr);
}
ordered_json brand_value(const Snapshot& s, uint32_t i) {
  return s.items().brand() ? ref(s.root().brands(), s.items().brand()->Get(i)) : ordered_json(nullptr);
}

template <class T>
T column(const flatbuffers::Vector<T>* v, uint32_t i, T missing) {
  return v ? v->Get(i) : missing;
}

ordered_json code_value(const fb::Attribute& attr, uint32_t code) {
  if (code == kMissingCode || !attr.dict() || code >= attr.dict()->size()) return nullptr;
  return sv(attr.dict()->Get(code));
}

void tag_values(const fb::Attribute& attr, uint32_t i, std::vector<std::string_view>& out) {
  out.clear();
  if (!attr.offsets() || !attr.tags() || !attr.dict()) return;
  for (uint32_t k = attr.offsets()->Get(i); k < attr.offsets()->Get(i + 1); ++k) {
    uint32_t code = attr.tags()->Get(k);
    if (code < attr.dict()->size()) out.push_back(sv(attr.dict()->Get(code)));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
}

ordered_json views_json(const std::vector<std::string_view>& v) {
  ordered_json out = ordered_json::array();
  for (auto s : v) out.push_back(s);
  return out;
}

class ItemDiff {
 public:
  ItemDiff(const Snapshot& a, const Snapshot& b, Section& s)
      : a_(a), b_(b), ia_(a.items()), ib_(b.items()), s_(s), sites_(a, b), ea_(a), eb_(b) {
    if (auto* va = ia_.attributes())
      for (auto* x : *va) {
        int32_t k = b.find_attribute(sv(x->name()));
        if (k < 0) continue;
        const fb::Attribute* y = ib_.attributes()->Get(static_cast<uint32_t>(k));
        if (y->type() == x->type()) attrs_.push_back({std::string(sv(x->name())), x, y});
      }
    compare_embeddings_ = ea_.dim > 0 && ea_.dim == eb_.dim;
  }

  void run() {
    std::vector<uint32_t> oa = id_order(a_), ob = id_order(b_);
    size_t i = 0, j = 0;
    while (i < oa.size() || j < ob.size()) {
      if (j == ob.size() || (i < oa.size() && item_id(a_, oa[i]) < item_id(b_, ob[j]))) {
        s_.on_removed(item_id(a_, oa[i++]));
      } else if (i == oa.size() || item_id(b_, ob[j]) < item_id(a_, oa[i])) {
        s_.on_added(item_id(b_, ob[j++]));
      } else {
        compare(oa[i++], ob[j++]);
      }
    }
  }

 private:
  void compare(uint32_t x, uint32_t y) {
    ordered_json c = ordered_json::object();
    auto text_of = [](const fb::Items& it, uint32_t i) {
      return it.titles() ? sv(it.titles()->Get(i)) : std::string_view();
    };
    if (text_of(ia_, x) != text_of(ib_, y)) c["title"] = change(text_of(ia_, x), text_of(ib_, y));
    if (ordered_json f = category_value(a_, x), t = category_value(b_, y); f != t) c["category"] = change(f, t);
    if (ordered_json f = brand_value(a_, x), t = brand_value(b_, y); f != t) c["brand"] = change(f, t);
    float pa = column(ia_.price(), x, NAN), pb = column(ib_.price(), y, NAN);
    if (!same_float(pa, pb)) c["price"] = change(number(pa), number(pb));
    int32_t sa = column(ia_.stock(), x, -1), sb = column(ib_.stock(), y, -1);
    if (sa != sb) c["stock"] = change(sa < 0 ? ordered_json(nullptr) : ordered_json(sa), sb < 0 ? ordered_json(nullptr) : ordered_json(sb));
    float qa = column(ia_.popularity(), x, 0.0f), qb = column(ib_.popularity(), y, 0.0f);
    if (!same_float(qa, qb)) c["popularity"] = change(number(qa), number(qb));
    int64_t ta = column(ia_.published_at(), x, int64_t(0)), tb = column(ib_.published_at(), y, int64_t(0));
    if (ta != tb) c["published_at"] = change(ta, tb);
    uint64_t ma = column(ia_.site_mask(), x, uint64_t(0)), mb = column(ib_.site_mask(), y, uint64_t(0));
    if ((ma == 0) != (mb == 0) ||
        SiteSpace::bits(ma, sites_.from_a) != SiteSpace::bits(mb, sites_.from_b))
      c["sites"] = field_change(sites_.describe(ma, sites_.from_a), sites_.describe(mb, sites_.from_b));
    for (const AttributePair& p : attrs_) compare_attribute(p, x, y, c);
    if (compare_embeddings_) {
      float delta = 0;
      for (uint32_t k = 0; k < ea_.dim; ++k) delta = std::max(delta, std::fabs(ea_.at(x, k) - eb_.at(y, k)));
      if (delta > 0) c["embedding"] = {{"max_abs_delta", number(delta)}};
    }
    s_.on_compared(item_id(a_, x), std::move(c));
  }

  void compare_attribute(const AttributePair& p, uint32_t x, uint32_t y, ordered_json& c) {
    const std::string key = "attributes." + p.name;
    switch (p.a->type()) {
      case fb::AttributeType::Number: {
        float f = column(p.a->numbers(), x, NAN), t = column(p.b->numbers(), y, NAN);
        if (!same_float(f, t)) c[key] = change(number(f), number(t));
        break;
      }
      case fb::AttributeType::Categorical: {
        ordered_json f = code_value(*p.a, column(p.a->codes(), x, kMissingCode));
        ordered_json t = code_value(*p.b, column(p.b->codes(), y, kMissingCode));
        if (f != t) c[key] = change(std::move(f), std::move(t));
        break;
      }
      default: {
        tag_values(*p.a, x, tags_a_);
        tag_values(*p.b, y, tags_b_);
        if (tags_a_ != tags_b_) c[key] = set_change(views_json(tags_a_), views_json(tags_b_));
      }
    }
  }

  const Snapshot &a_, &b_;
  const fb::Items &ia_, &ib_;
  Section& s_;
  SiteSpace sites_;
  EmbeddingView ea_, eb_;
  std::vector<AttributePair> attrs_;
  bool compare_embeddings_ = false;
  std::vector<std::string_view> tags_a_, tags_b_;
};

// Attribute columns and the embedding: what the item columns are, not their values.
std::vector<Entity> schema_entities(const Snapshot& s) {
  std::vector<Entity> out;
  if (auto* v = s.items().attributes())
    for (uint32_t i = 0; i < v->size(); ++i) {
      const fb::Attribute* a = v->Get(i);
      out.push_back({"attribute:" + std::string(sv(a->name())),
                     {{"type", attribute_type(a->type())}, {"custom", a->custom()}},
                     i});
    }
  EmbeddingView e(s);
  if (e.dim > 0) out.push_back({"embedding", {{"dim", e.dim}, {"format", e.f32 ? "f32" : "int8"}}, 0});
  return out;
}

// ---- price lists: entries by (item id, min_quantity) ----

struct Entry {
  std::string_view item;
  uint32_t min_quantity;
  float price;
};

std::vector<Entry> entries(const Snapshot& s, const fb::PriceList& pl) {
  std::vector<Entry> out;
  const uint32_t n = len(pl.items());
  out.reserve(n);
  for (uint32_t k = 0; k < n; ++k)
    out.push_back({item_id(s, pl.items()->Get(k)), column(pl.min_quantity(), k, 1u), column(pl.prices(), k, NAN)});
  std::sort(out.begin(), out.end(), [](const Entry& x, const Entry& y) {
    return x.item != y.item ? x.item < y.item : x.min_quantity < y.min_quantity;
  });
  return out;
}

ordered_json entry_diff(const Snapshot& a, const fb::PriceList& pa, const Snapshot& b, const fb::PriceList& pb,
                        size_t limit) {
  std::vector<Entry> ea = entries(a, pa), eb = entries(b, pb);
  uint64_t added = 0, removed = 0, changed = 0;
  ordered_json list = ordered_json::array();
  bool truncated = false;
  auto note = [&](const Entry& e, ordered_json from, ordered_json to) {
    if (limit != 0 && list.size() >= limit) {
      truncated = true;
      return;
    }
    list.push_back({{"item", e.item}, {"min_quantity", e.min_quantity}, {"from", std::move(from)}, {"to", std::move(to)}});
  };
  auto less = [](const Entry& x, const Entry& y) {
    return x.item != y.item ? x.item < y.item : x.min_quantity < y.min_quantity;
  };
  size_t i = 0, j = 0;
  while (i < ea.size() || j < eb.size()) {
    if (j == eb.size() || (i < ea.size() && less(ea[i], eb[j]))) {
      ++removed;
      note(ea[i], number(ea[i].price), nullptr);
      ++i;
    } else if (i == ea.size() || less(eb[j], ea[i])) {
      ++added;
      note(eb[j], nullptr, number(eb[j].price));
      ++j;
    } else {
      if (!same_float(ea[i].price, eb[j].price)) {
        ++changed;
        note(ea[i], number(ea[i].price), number(eb[j].price));
      }
      ++i;
      ++j;
    }
  }
  if (added + removed + changed == 0) return nullptr;
  return {{"added", added}, {"removed", removed}, {"changed", changed}, {"list", std::move(list)}, {"truncated", truncated}};
}

// ---- the canonical fields of each kind ----

ordered_json scope(const Snapshot& s, const fb::PriceList& p) {
  if (p.account() >= 0) return "account " + ref(s.root().accounts(), p.account()).get<std::string>();
  if (p.segment() >= 0) return "segment " + ref(s.root().segments(), p.segment()).get<std::string>();
  if (p.site() >= 0) return "site " + ref(s.root().sites(), p.site()).get<std::string>();
  return "tenant";
}

ordered_json terms(const Snapshot& s, const fb::Strategy& st) {
  ordered_json out = ordered_json::array();
  if (st.terms())
    for (auto* t : *st.terms()) {
      ordered_json x = {{"kind", term_kind_config_name(t->kind())}, {"weight", number(t->weight())}};
      if (t->name()) x["name"] = sv(t->name());
      if (t->attribute() >= 0 && s.items().attributes() &&
          static_cast<uint32_t>(t->attribute()) < s.items().attributes()->size())
        x["attribute"] = sv(s.items().attributes()->Get(static_cast<uint32_t>(t->attribute()))->name());
      if (t->half_life_days() != 0) x["half_life_days"] = number(t->half_life_days());
      out.push_back(std::move(x));
    }
  return out;
}

ordered_json attribute_name(const Snapshot& s, int32_t i) {
  auto* v = s.items().attributes();
  if (!v || i < 0 || static_cast<uint32_t>(i) >= v->size()) return nullptr;
  return sv(v->Get(static_cast<uint32_t>(i))->name());
}

ordered_json rule_fields(const Snapshot& s, const fb::Rule& r) {
  const auto& root = s.root();
  ordered_json f = {{"action", action_name(r.action())},
                    {"amount", number(r.amount())},
                    {"position", r.position()},
                    {"slots", refs(root.slots(), r.slots())},
                    {"sites", refs(root.sites(), r.sites())},
                    {"starts_at", r.starts_at()},
                    {"ends_at", r.ends_at()},
                    {"condition", condition(r.condition())}};
  if (const fb::ItemMatch* m = r.match()) {
    f["match.items"] = item_ids(s, m->items());
    f["match.categories"] = refs(root.categories(), m->categories());
    f["match.brands"] = refs(root.brands(), m->brands());
    f["match.attribute"] = attribute_name(s, m->attribute());
    ordered_json values = ordered_json::array();
    if (m->values() && m->attribute() >= 0)
      for (uint32_t code : *m->values()) {
        auto* attr = s.items().attributes()->Get(static_cast<uint32_t>(m->attribute()));
        values.push_back(code_value(*attr, code));
      }
    f["match.values"] = std::move(values);
    f["match.number_attribute"] = attribute_name(s, m->number_attribute());
    f["match.number_min"] = number(m->number_min());
    f["match.number_max"] = number(m->number_max());
  }
  return f;
}

std::vector<Entity> deny_entities(const Snapshot& s) {
  std::vector<Entity> out;
  if (auto* v = s.root().deny_lists())
    for (uint32_t i = 0; i < v->size(); ++i) {
      const fb::DenyList* d = v->Get(i);
      ordered_json site = ref(s.root().sites(), d->site());
      out.push_back({site.is_null() ? std::string("all sites") : "site " + site.get<std::string>(),
                     {{"items", item_ids(s, d->items())}},
                     i});
    }
  return out;
}

ordered_json side(const Snapshot& s) {
  const auto& root = s.root();
  return {{"tenant", sv(root.tenant()->id())},
          {"version", sv(root.version())},
          {"built_at", root.built_at()},
          {"built_at_utc", format_rfc3339(root.built_at())},
          {"schema_version", root.schema_version()},
          {"sha256", s.hash()},
          {"bytes", s.byte_size()},
          {"items", s.item_count()}};
}

}  // namespace

ordered_json diff_snapshots(const Snapshot& a, const Snapshot& b, const DiffOptions& options) {
  const fb::Snapshot& ra = a.root();
  const fb::Snapshot& rb = b.root();
  const size_t limit = options.limit;
  ordered_json sections = ordered_json::object();
  uint64_t differences = 0;
  auto finish = [&](const char* name, Section& s) {
    differences += s.differences();
    sections[name] = std::move(s).to_json();
  };

  {
    Section s(limit);
    auto tenant = [](const Snapshot& x) {
      const fb::Tenant* t = x.root().tenant();
      return std::vector<Entity>{
          {std::string(sv(t->id())), {{"name", text(t->name())}, {"currency", text(t->currency())}}, 0}};
    };
    diff_entities(tenant(a), tenant(b), s);
    finish("tenant", s);
  }
  {
    Section s(limit);
    auto f = [](const fb::Site& x) {
      return ordered_json{
          {"name", text(x.name())}, {"brand", text(x.brand())}, {"currency", text(x.currency())}, {"locale", text(x.locale())}};
    };
    diff_entities(entities(ra.sites(), f), entities(rb.sites(), f), s);
    finish("sites", s);
  }
  {
    Section s(limit);
    auto fa = [&](const fb::Category& x) {
      return ordered_json{{"name", text(x.name())}, {"parent", ref(ra.categories(), x.parent())}};
    };
    auto fb_ = [&](const fb::Category& x) {
      return ordered_json{{"name", text(x.name())}, {"parent", ref(rb.categories(), x.parent())}};
    };
    diff_entities(entities(ra.categories(), fa), entities(rb.categories(), fb_), s);
    finish("categories", s);
  }
  {
    Section s(limit);
    auto f = [](const fb::Brand& x) { return ordered_json{{"name", text(x.name())}}; };
    diff_entities(entities(ra.brands(), f), entities(rb.brands(), f), s);
    finish("brands", s);
  }
  {
    Section s(limit);
    diff_entities(schema_entities(a), schema_entities(b), s);
    finish("attributes", s);
  }
  {
    Section s(limit);
    ItemDiff(a, b, s).run();
    finish("items", s);
  }
  {
    Section s(limit);
    auto f = [](const Snapshot& x) {
      return [&x](const fb::Collection& c) { return ordered_json{{"items", item_ids(x, c.items())}}; };
    };
    diff_entities(entities(ra.collections(), f(a)), entities(rb.collections(), f(b)), s);
    finish("collections", s);
  }
  {
    Section s(limit);
    auto f = [](const Snapshot& x) {
      return [&x](const fb::Strategy& st) { return ordered_json{{"terms", terms(x, st)}}; };
    };
    diff_entities(entities(ra.strategies(), f(a)), entities(rb.strategies(), f(b)), s);
    finish("strategies", s);
  }
  {
    Section s(limit);
    auto f = [](const Snapshot& x) {
      return [&x](const fb::Slot& sl) {
        const auto& r = x.root();
        ordered_json source_id = sl.source() == fb::SourceKind::Category     ? ref(r.categories(), sl.source_index())
                                 : sl.source() == fb::SourceKind::Collection ? ref(r.collections(), sl.source_index())
                                                                             : ordered_json(nullptr);
        return ordered_json{{"strategy", ref(r.strategies(), sl.strategy())},
                            {"source", source_kind(sl.source())},
                            {"source_id", std::move(source_id)},
                            {"size", sl.size()},
                            {"max_size", sl.max_size()},
                            {"in_stock_only", sl.in_stock_only()},
                            {"exclude_purchased", sl.exclude_purchased()},
                            {"exclude_viewed", sl.exclude_viewed()},
                            {"condition", condition(sl.condition())}};
      };
    };
    diff_entities(entities(ra.slots(), f(a)), entities(rb.slots(), f(b)), s);
    finish("slots", s);
  }
  {
    Section s(limit);
    auto f = [](const Snapshot& x) { return [&x](const fb::Rule& r) { return rule_fields(x, r); }; };
    diff_entities(entities(ra.rules(), f(a)), entities(rb.rules(), f(b)), s);
    finish("rules", s);
  }
  {
    Section s(limit);
    diff_entities(deny_entities(a), deny_entities(b), s);
    finish("deny_lists", s);
  }
  {
    Section s(limit);
    auto f = [](const fb::Segment& x) { return ordered_json{{"name", text(x.name())}, {"condition", condition(x.condition())}}; };
    diff_entities(entities(ra.segments(), f), entities(rb.segments(), f), s);
    finish("segments", s);
  }
  {
    Section s(limit);
    auto f = [](const Snapshot& x) {
      return [&x](const fb::Account& ac) {
        const auto& r = x.root();
        return ordered_json{{"name", text(ac.name())},
                            {"parent", ref(r.accounts(), ac.parent())},
                            {"price_list", ref(r.price_lists(), ac.price_list())},
                            {"price_lists", refs(r.price_lists(), ac.price_lists())},
                            {"spending_limit", ac.spending_limit() < 0 ? ordered_json(nullptr) : number(ac.spending_limit())},
                            {"currency", text(ac.currency())},
                            {"approver", ref(r.roles(), ac.approver())},
                            {"allow_items", item_ids(x, ac.allow_items())},
                            {"deny_items", item_ids(x, ac.deny_items())},
                            {"allow_categories", refs(r.categories(), ac.allow_categories())},
                            {"deny_categories", refs(r.categories(), ac.deny_categories())}};
      };
    };
    diff_entities(entities(ra.accounts(), f(a)), entities(rb.accounts(), f(b)), s);
    finish("accounts", s);
  }
  {
    Section s(limit);
    auto f = [](const Snapshot& x) {
      return [&x](const fb::Role& ro) {
        return ordered_json{
            {"spending_limit", ro.spending_limit() < 0 ? ordered_json(nullptr) : number(ro.spending_limit())},
            {"approver", ref(x.root().roles(), ro.approver())}};
      };
    };
    diff_entities(entities(ra.roles(), f(a)), entities(rb.roles(), f(b)), s);
    finish("roles", s);
  }
  {
    Section s(limit);
    auto f = [](const Snapshot& x) {
      return [&x](const fb::PriceList& p) {
        return ordered_json{{"currency", text(p.currency())},
                            {"valid_from", p.valid_from()},
                            {"valid_to", p.valid_to()},
                            {"scope", scope(x, p)}};
      };
    };
    auto hook = [&](uint32_t ia, uint32_t ib, ordered_json& changes) {
      ordered_json e = entry_diff(a, *ra.price_lists()->Get(ia), b, *rb.price_lists()->Get(ib), limit);
      if (!e.is_null()) changes["entries"] = std::move(e);
    };
    diff_entities(entities(ra.price_lists(), f(a)), entities(rb.price_lists(), f(b)), s, hook);
    finish("price_lists", s);
  }
  {
    Section s(limit);
    auto f = [](const Snapshot& x) {
      return [&x](const fb::Policy& p) {
        const auto& r = x.root();
        return ordered_json{{"kind", text(p.kind())},
                            {"condition", condition(p.condition())},
                            {"categories", refs(r.categories(), p.categories())},
                            {"items", item_ids(x, p.items())},
                            {"only_in", strings(p.only_in())},
                            {"never_in", strings(p.never_in())},
                            {"min_age", p.min_age()},
                            {"licence", text(p.licence())},
                            {"purpose", text(p.purpose())},
                            {"consent_filter", p.consent_filter()},
                            {"segments", refs(r.segments(), p.segments())}};
      };
    };
    diff_entities(entities(ra.policies(), f(a)), entities(rb.policies(), f(b)), s);
    finish("policies", s);
  }
  {
    Section s(limit);
    auto f = [](const fb::Experiment& e) {
      ordered_json weights = ordered_json::array();
      if (e.weights())
        for (float w : *e.weights()) weights.push_back(number(w));
      return ordered_json{{"seed", text(e.seed())},
                          {"hash_version", e.hash_version()},
                          {"coverage", number(e.coverage())},
                          {"weights", std::move(weights)},
                          {"condition", condition(e.condition())}};
    };
    diff_entities(entities(ra.experiments(), f), entities(rb.experiments(), f), s);
    finish("experiments", s);
  }

  ordered_json sa = side(a), sb = side(b);
  ordered_json header = ordered_json::object();
  for (const char* k : {"version", "built_at", "schema_version", "sha256", "bytes"})
    if (sa[k] != sb[k]) header[k] = change(sa[k], sb[k]);
  if (ra.min_engine() != rb.min_engine()) header["min_engine"] = change(ra.min_engine(), rb.min_engine());
  return {{"same", differences == 0}, {"a", std::move(sa)}, {"b", std::move(sb)}, {"header", std::move(header)},
          {"sections", std::move(sections)}};
}

// ---- text ----

namespace {

std::string value_text(const ordered_json& v) {
  if (v.is_null()) return "none";
  return dump_json(v);
}

std::string thousands(uint64_t n) {
  std::string s = std::to_string(n), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

std::string set_text(const ordered_json& c) {
  std::string out;
  auto part = [&](const char* sign, const char* count, const char* ids) {
    uint64_t n = c.value(count, uint64_t(0));
    if (n == 0) return;
    if (!out.empty()) out += ' ';
    size_t shown = 0;
    for (const auto& id : c[ids]) {
      out += (shown ? " " : "") + std::string(sign) + id.get<std::string>();
      ++shown;
    }
    if (n > shown) out += " (" + std::string(sign) + thousands(n - shown) + " more)";
  };
  part("+", "added", "added_ids");
  part("-", "removed", "removed_ids");
  if (c.value("reordered", false)) out = "reordered";
  return out;
}

std::string change_text(const std::string& field, const ordered_json& c) {
  if (field == "entries") {
    std::string out = "entries " + thousands(c["added"].get<uint64_t>()) + " added, " +
                      thousands(c["removed"].get<uint64_t>()) + " removed, " +
                      thousands(c["changed"].get<uint64_t>()) + " changed";
    return out;
  }
  if (c.contains("from")) return field + " " + value_text(c["from"]) + " -> " + value_text(c["to"]);
  if (c.contains("added_ids") || c.contains("reordered")) return field + " " + set_text(c);
  if (c.contains("max_abs_delta")) return field + " (max |delta| " + value_text(c["max_abs_delta"]) + ")";
  return field + " " + dump_json(c);
}

std::string side_text(const char* name, const ordered_json& s) {
  return std::string(name) + ": " + s["tenant"].get<std::string>() + " " + s["version"].get<std::string>() +
         ", built " + s["built_at_utc"].get<std::string>() + ", " + thousands(s["items"].get<uint64_t>()) +
         " items, " + thousands(s["bytes"].get<uint64_t>()) + " bytes, sha256 " +
         s["sha256"].get<std::string>().substr(0, 16) + "\n";
}

}  // namespace

std::string render_diff_text(const ordered_json& report) {
  std::string out = side_text("a", report["a"]) + side_text("b", report["b"]);
  std::vector<std::string> changed;
  for (const auto& [name, s] : report["sections"].items()) {
    uint64_t added = s["added"].get<uint64_t>(), removed = s["removed"].get<uint64_t>(),
             n = s["changed"].get<uint64_t>();
    if (added + removed + n == 0) continue;
    changed.push_back(name);
    out += name + ": " + thousands(added) + " added, " + thousands(removed) + " removed, " + thousands(n) + " changed";
    if (!s["fields"].empty()) {
      out += " (";
      bool first = true;
      for (const auto& [f, count] : s["fields"].items()) {
        out += (first ? "" : ", ") + f + " " + thousands(count.get<uint64_t>());
        first = false;
      }
      out += ")";
    }
    out += ", " + thousands(s["unchanged"].get<uint64_t>()) + " unchanged\n";
    for (const auto& e : s["list"]) {
      const std::string change = e["change"].get<std::string>();
      const std::string id = e["id"].get<std::string>();
      if (change == "added") out += "  + " + id + "\n";
      else if (change == "removed") out += "  - " + id + "\n";
      else {
        out += "  ~ " + id + ":";
        bool first = true;
        for (const auto& [f, c] : e["fields"].items()) {
          out += (first ? " " : ", ") + change_text(f, c);
          first = false;
        }
        out += "\n";
        if (e["fields"].contains("entries"))
          for (const auto& pe : e["fields"]["entries"]["list"])
            out += "      " + pe["item"].get<std::string>() + " from " + thousands(pe["min_quantity"].get<uint64_t>()) +
                   ": " + value_text(pe["from"]) + " -> " + value_text(pe["to"]) + "\n";
      }
    }
    if (s["truncated"].get<bool>()) out += "  ... (more not listed: --limit N, 0 for all)\n";
  }
  std::string header;
  for (const auto& [f, c] : report["header"].items())
    if (f != "sha256" && f != "bytes") header += (header.empty() ? "" : ", ") + change_text(f, c);
  if (changed.empty())
    out += "no differences" + (header.empty() ? std::string() : " (header only: " + header + ")") + "\n";
  else {
    out += std::to_string(changed.size()) + " section" + (changed.size() == 1 ? "" : "s") + " differ:";
    for (const std::string& n : changed) out += " " + n;
    if (!header.empty()) out += "; header: " + header;
    out += "\n";
  }
  return out;
}

}  // namespace tailor::sync
