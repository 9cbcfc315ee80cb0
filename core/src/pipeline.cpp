#include "tailor/pipeline.h"

#include <algorithm>
#include <cstdint>

#include "tailor/b2b.h"
#include "tailor/diversity.h"
#include "tailor/experiments.h"
#include "tailor/explain.h"
#include "tailor/json_writer.h"
#include "tailor/policy.h"
#include "tailor/scoring.h"
#include "tailor/sites.h"
#include "tailor/targeting.h"
#include "plugin_run.h"

namespace tailor {
namespace {

// Everything one request derives once from the snapshot, request and profile.
struct Context {
  const Snapshot& snap;
  const Request& req;
  const Profile* profile;  // null when absent or without personalization consent
  Arena& arena;
  int32_t site = -1;
  int64_t now = 0;
  std::span<float> category_affinity = {};  // per category (with half-weight inheritance)
  std::span<float> brand_affinity = {};     // per brand
  std::span<const float> user_vector = {};  // unit length, or empty
  std::span<uint32_t> request_exclude = {}; // sorted item indices
  std::span<uint32_t> purchased = {};       // sorted item indices
  std::span<uint32_t> viewed = {};          // sorted item indices
  Targeting targeting = {};                 // segment membership (computed once per request)
  // True when the request is in snapshot segment `segment_index` (listed or condition true).
  bool in_segment(int32_t segment_index) const { return targeting.in_segment(segment_index); }
  PolicyState policies = {};                // compliance policies in effect for this request
  B2BContext b2b = {};                      // account, entitlements, price lists, spending limit
  const PluginContext* plugins = nullptr;   // the current slot's plugin context (no params)
  ExperimentState experiments = {};         // variations assigned to this request (experiments.cpp)
};

bool contains_sorted(std::span<const uint32_t> v, uint32_t x) { return std::binary_search(v.begin(), v.end(), x); }

template <class V>
bool contains(const V* v, uint32_t x) {
  if (!v) return false;
  for (auto e : *v)
    if (static_cast<uint32_t>(e) == x) return true;
  return false;
}

// Resolves item ids to sorted, unique indices; unknown ids are dropped.
inline std::string_view id_of(const flatbuffers::String* s) { return sv(s); }
inline std::string_view id_of(const std::string& s) { return s; }

// Resolves item ids (profile or request lists) to sorted, unique indices; unknown ids are dropped.
template <class Ids>
std::span<uint32_t> resolve_ids(Context& cx, const Ids& ids) {
  auto out = cx.arena.alloc<uint32_t>(ids.size());
  size_t n = 0;
  for (const auto& s : ids) {
    int32_t i = cx.snap.find_item(id_of(s));
    if (i >= 0) out[n++] = static_cast<uint32_t>(i);
  }
  std::sort(out.begin(), out.begin() + n);
  n = std::unique(out.begin(), out.begin() + n) - out.begin();
  return out.first(n);
}

// Dense affinity arrays in snapshot index space, so scoring never touches strings.
void project_profile(Context& cx) {
  const fb::Snapshot& root = cx.snap.root();
  const uint32_t ncat = root.categories() ? root.categories()->size() : 0;
  const uint32_t nbrand = root.brands() ? root.brands()->size() : 0;
  cx.category_affinity = cx.arena.zeroed<float>(ncat);
  cx.brand_affinity = cx.arena.zeroed<float>(nbrand);
  if (!cx.profile) return;
  const fb::Profile& p = cx.profile->root();
  auto direct = cx.arena.zeroed<float>(ncat);
  if (p.categories())
    for (auto* a : *p.categories()) {
      int32_t c = cx.snap.find_category(sv(a->key()));
      if (c >= 0) direct[c] = a->weight();
    }
  // A category inherits half of its parent's affinity when that is larger than its own.
  for (uint32_t c = 0; c < ncat; ++c) {
    float best = direct[c], factor = 1.0f;
    for (int32_t q = root.categories()->Get(c)->parent(); q >= 0; q = root.categories()->Get(q)->parent()) {
      factor *= 0.5f;
      float v = direct[q] * factor;
      if (v > best) best = v;
    }
    cx.category_affinity[c] = best;
  }
  if (p.brands())
    for (auto* a : *p.brands()) {
      int32_t b = cx.snap.find_brand(sv(a->key()));
      if (b >= 0) cx.brand_affinity[b] = a->weight();
    }
  const uint16_t dim = cx.snap.embedding_dim();
  if (dim > 0 && p.embedding() && p.embedding()->size() == dim) {
    auto v = cx.arena.alloc<float>(dim);
    for (uint16_t i = 0; i < dim; ++i) v[i] = p.embedding()->Get(i);
    cx.user_vector = v;
  }
  if (p.recent_bought()) cx.purchased = resolve_ids(cx, *p.recent_bought());
  if (p.recent_viewed()) cx.viewed = resolve_ids(cx, *p.recent_viewed());
}

// Per dictionary code affinity for one attribute (AttributeAffinity terms).
std::span<float> attribute_affinity(Context& cx, int32_t attribute) {
  const fb::Attribute* at = cx.snap.items().attributes()->Get(attribute);
  auto out = cx.arena.zeroed<float>(at->dict() ? at->dict()->size() : 0);
  if (!cx.profile || !cx.profile->root().attributes()) return out;
  std::string_view name = sv(at->name());
  for (auto* a : *cx.profile->root().attributes()) {
    if (sv(a->attribute()) != name) continue;
    uint32_t code = cx.snap.find_code(attribute, sv(a->value()));
    if (code != kMissingCode) out[code] = a->weight();
  }
  return out;
}

// ---- term values (before weight) ----
// Column pointers are resolved once per term (FlatBuffers accessors cost a vtable lookup each),
// and every value comes from the same small functions in the scoring loop and in explanations,
// so both see the same floats. Vectors are read in place: every target is little-endian.
static_assert(FLATBUFFERS_LITTLEENDIAN, "snapshots are read in place on little-endian targets only");

template <class T>
const T* col(const flatbuffers::Vector<T>* v) { return v ? v->data() : nullptr; }

constexpr int64_t kUnknownAge = INT64_MIN;

struct TermState {
  const fb::Term* term;
  bool active;
  fb::TermKind kind;
  float weight;
  float half_life;
  std::span<float> aff;        // CategoryAffinity / BrandAffinity / AttributeAffinity lookup
  const int32_t* index = nullptr;  // item -> category / brand
  const float* numbers = nullptr;  // Attribute, Popularity
  float lo = 0, hi = 0;
  const uint32_t* codes = nullptr;    // categorical AttributeAffinity
  const uint32_t* offsets = nullptr;  // tag-set AttributeAffinity
  const uint32_t* tags = nullptr;
  const int64_t* published = nullptr;  // Popularity decay, Recency
  int64_t now = 0;
  const float* emb = nullptr;  // Embedding (f32) or null
  const int8_t* emb_i8 = nullptr;
  const float* emb_scale = nullptr;
  std::span<const float> user;
  const Plugin* plugin = nullptr;       // Plugin: the registered scorer
  const PluginContext* pcx = nullptr;   // Plugin: its context (request, slot, params)
};

// Seconds since publication; kUnknownAge without a date, <= 0 for items published after `now`.
inline int64_t item_age(const TermState& ts, uint32_t item) {
  if (!ts.published) return kUnknownAge;
  int64_t t = ts.published[item];
  return t > 0 ? ts.now - t : kUnknownAge;
}

inline float term_value(const TermState& ts, uint32_t item) {
  switch (ts.kind) {
    case fb::TermKind::Attribute: {
      float v = ts.numbers[item];
      if (v != v) return 0.0f;
      if (!(ts.hi > ts.lo)) return 1.0f;
      return (v - ts.lo) / (ts.hi - ts.lo);
    }
    case fb::TermKind::CategoryAffinity:
    case fb::TermKind::BrandAffinity: {
      int32_t k = ts.index ? ts.index[item] : -1;
      return k >= 0 ? ts.aff[k] : 0.0f;
    }
    case fb::TermKind::AttributeAffinity: {
      if (ts.codes) {
        uint32_t code = ts.codes[item];
        return code == kMissingCode ? 0.0f : ts.aff[code];
      }
      float best = 0.0f;
      for (uint32_t k = ts.offsets[item], e = ts.offsets[item + 1]; k < e; ++k) best = std::max(best, ts.aff[ts.tags[k]]);
      return best;
    }
    case fb::TermKind::Embedding: {
      const uint32_t dim = static_cast<uint32_t>(ts.user.size());
      if (dim == 0) return 0.0f;
      if (ts.emb) return dot_f32(ts.emb + uint64_t(item) * dim, ts.user.data(), dim);
      return dot_i8(ts.emb_i8 + uint64_t(item) * dim, ts.user.data(), dim) * ts.emb_scale[item];
    }
    case fb::TermKind::Popularity: {
      if (!ts.numbers) return 0.0f;
      float v = ts.numbers[item];
      if (ts.half_life > 0.0f) {
        int64_t age = item_age(ts, item);
        if (age != kUnknownAge) v *= decay(age, ts.half_life);
      }
      return v;
    }
    case fb::TermKind::Recency: {
      int64_t age = item_age(ts, item);
      return age == kUnknownAge ? 0.0f : decay(age, ts.half_life);
    }
    case fb::TermKind::Plugin:
      return ts.plugin ? plugin_value(*ts.pcx, *ts.plugin, item) : 0.0f;
  }
  return 0.0f;
}

TermState prepare_term(Context& cx, const fb::Term* t) {
  const fb::Items& it = cx.snap.items();
  TermState ts{};
  ts.term = t;
  ts.kind = t->kind();
  ts.weight = t->weight();
  ts.half_life = t->half_life_days();
  ts.active = !t->personal() || cx.profile != nullptr;
  ts.now = cx.now;
  ts.published = col(it.published_at());
  if (!ts.active) return ts;
  switch (ts.kind) {
    case fb::TermKind::Attribute: {
      const fb::Attribute& at = *it.attributes()->Get(t->attribute());
      ts.numbers = col(at.numbers());
      ts.lo = at.min();
      ts.hi = at.max();
      break;
    }
    case fb::TermKind::CategoryAffinity:
      ts.index = col(it.category());
      ts.aff = cx.category_affinity;
      break;
    case fb::TermKind::BrandAffinity:
      ts.index = col(it.brand());
      ts.aff = cx.brand_affinity;
      break;
    case fb::TermKind::AttributeAffinity: {
      const fb::Attribute& at = *it.attributes()->Get(t->attribute());
      ts.aff = attribute_affinity(cx, t->attribute());
      if (at.type() == fb::AttributeType::Categorical) {
        ts.codes = col(at.codes());
      } else {
        ts.offsets = col(at.offsets());
        ts.tags = col(at.tags());
      }
      break;
    }
    case fb::TermKind::Embedding:
      ts.user = cx.user_vector;
      if (it.embedding_f32() && it.embedding_f32()->size() == uint64_t(cx.snap.item_count()) * cx.snap.embedding_dim())
        ts.emb = col(it.embedding_f32());
      else if (!ts.user.empty()) {
        ts.emb_i8 = col(it.embedding_i8());
        ts.emb_scale = col(it.embedding_scale());
      }
      break;
    case fb::TermKind::Popularity:
      ts.numbers = col(it.popularity());
      break;
    case fb::TermKind::Recency:
      break;
    case fb::TermKind::Plugin:  // Snapshot::open checked the plugin is compiled in
      ts.plugin = t->plugin() ? find_plugin(sv(t->plugin()->plugin())) : nullptr;
      ts.active = ts.plugin != nullptr;
      if (ts.plugin) ts.pcx = plugin_context(*cx.plugins, *t->plugin());
      break;
  }
  return ts;
}

// score[c] += weight * value(cand[c]), with the kind dispatched once per column.
template <fb::TermKind K>
void accumulate_kind(const TermState& ts, std::span<const uint32_t> cand, std::span<float> score) {
  TermState local = ts;
  local.kind = K;
  const float w = ts.weight;
  for (size_t c = 0; c < cand.size(); ++c) score[c] += w * term_value(local, cand[c]);
}

void accumulate(const TermState& ts, std::span<const uint32_t> cand, std::span<float> score) {
  switch (ts.kind) {
    case fb::TermKind::Attribute: return accumulate_kind<fb::TermKind::Attribute>(ts, cand, score);
    case fb::TermKind::CategoryAffinity: return accumulate_kind<fb::TermKind::CategoryAffinity>(ts, cand, score);
    case fb::TermKind::BrandAffinity: return accumulate_kind<fb::TermKind::BrandAffinity>(ts, cand, score);
    case fb::TermKind::AttributeAffinity: return accumulate_kind<fb::TermKind::AttributeAffinity>(ts, cand, score);
    case fb::TermKind::Embedding: return accumulate_kind<fb::TermKind::Embedding>(ts, cand, score);
    case fb::TermKind::Popularity: return accumulate_kind<fb::TermKind::Popularity>(ts, cand, score);
    case fb::TermKind::Recency: return accumulate_kind<fb::TermKind::Recency>(ts, cand, score);
    case fb::TermKind::Plugin: return plugin_accumulate(*ts.pcx, *ts.plugin, ts.weight, cand, score);
  }
}

// ---- rules ----

// Slot, site, schedule, then the rule's condition (evaluated once per request, cached).
bool rule_in_scope(Context& cx, const fb::Rule& r, uint32_t rule_index, int32_t slot) {
  if (experiment_rule_off(cx.experiments, cx.snap, slot, rule_index)) return false;
  if (r.slots() && r.slots()->size() && !contains(r.slots(), static_cast<uint32_t>(slot))) return false;
  if (r.sites() && r.sites()->size() && (cx.site < 0 || !contains(r.sites(), static_cast<uint32_t>(cx.site))))
    return false;
  if (r.starts_at() && cx.now < r.starts_at()) return false;
  if (r.ends_at() && cx.now >= r.ends_at()) return false;
  return cx.targeting.condition_true(ConditionOf::kRule, static_cast<int32_t>(rule_index), r.condition());
}

// ---- hard filters ----

// The deny lists that apply to this request's site, as raw sorted ranges.
struct DenyRange {
  const uint32_t* begin;
  const uint32_t* end;
};

std::span<DenyRange> deny_ranges(Context& cx) {
  const auto* lists = cx.snap.root().deny_lists();
  if (!lists) return {};
  auto out = cx.arena.alloc<DenyRange>(lists->size());
  size_t n = 0;
  for (auto* d : *lists)
    if ((d->site() == -1 || d->site() == cx.site) && d->items() && d->items()->size())
      out[n++] = DenyRange{d->items()->data(), d->items()->data() + d->items()->size()};
  return out.first(n);
}

bool denied(std::span<const DenyRange> lists, uint32_t item) {
  for (const DenyRange& d : lists)
    if (std::binary_search(d.begin, d.end, item)) return true;
  return false;
}

struct SlotResult {
  int32_t slot;
  int32_t strategy = -1;               // the site's override or the slot's, then its experiment variation's
  const SlotRequest* req = nullptr;
  uint32_t candidates = 0;
  uint32_t filtered[static_cast<int>(FilterReason::kCount)] = {};
  std::span<uint32_t> rule_excluded;   // per rule index: items removed by exclude rules
  std::span<uint32_t> ranked;          // output item indices
  std::span<float> scores;             // parallel to ranked
  std::span<int32_t> pinned_by;        // parallel to ranked: rule index or -1
  std::span<uint32_t> policy_removed;     // per policy: candidates it filtered
  std::span<uint32_t> policy_no_profile;  // per policy: survivors scored without profile terms
  bool skipped = false;                   // the slot's condition is false: no items
  PluginSlotState plugins;                // filter/stage plugin counts and stage notes
  std::span<DiversityNote> diversity;     // parallel to ranked when the slot has diversity, else empty
  DiversityStats diversity_stats;
};

Status gather_candidates(Context& cx, const SlotView& slot, const SlotRequest& sr, SlotResult& res,
                         std::span<uint32_t>& out, const PipelineLimits& limits) {
  const uint32_t n = cx.snap.item_count();
  switch (slot.source) {
    case fb::SourceKind::All: {
      if (n > limits.max_candidates)  // checked before allocating
        return Status(Code::kLimitExceeded, "slot '" + sr.id + "': " + std::to_string(n) +
                                                " candidates, over the limit of " + std::to_string(limits.max_candidates));
      out = cx.arena.alloc<uint32_t>(n);
      for (uint32_t i = 0; i < n; ++i) out[i] = i;
      break;
    }
    case fb::SourceKind::Category: {
      // Which categories are the source or below it: once per request, not once per item.
      const uint32_t ncat = cx.snap.root().categories()->size();
      auto within = cx.arena.alloc<uint8_t>(ncat);
      for (uint32_t c = 0; c < ncat; ++c) within[c] = cx.snap.category_within(int32_t(c), slot.source_index);
      out = cx.arena.alloc<uint32_t>(n);
      const int32_t* cat = col(cx.snap.items().category());
      size_t k = 0;
      for (uint32_t i = 0; cat && i < n; ++i)
        if (cat[i] >= 0 && within[cat[i]]) out[k++] = i;
      out = out.first(k);
      break;
    }
    case fb::SourceKind::Collection: {
      const auto* items = cx.snap.root().collections()->Get(slot.source_index)->items();
      size_t m = items ? items->size() : 0;
      out = cx.arena.alloc<uint32_t>(m);
      for (size_t i = 0; i < m; ++i) out[i] = items->Get(i);
      break;
    }
    case fb::SourceKind::Request: {
      out = cx.arena.alloc<uint32_t>(sr.items.size());
      size_t k = 0;
      for (auto& id : sr.items) {
        int32_t i = cx.snap.find_item(id);
        if (i < 0) { ++res.filtered[static_cast<int>(FilterReason::kUnknownItem)]; continue; }
        bool dup = false;
        for (size_t j = 0; j < k && !dup; ++j) dup = out[j] == static_cast<uint32_t>(i);
        if (!dup) out[k++] = static_cast<uint32_t>(i);
      }
      out = out.first(k);
      break;
    }
  }
  if (out.size() > limits.max_candidates)
    return Status(Code::kLimitExceeded, "slot '" + sr.id + "': " + std::to_string(out.size()) +
                                            " candidates, over the limit of " + std::to_string(limits.max_candidates));
  res.candidates = static_cast<uint32_t>(out.size()) + res.filtered[static_cast<int>(FilterReason::kUnknownItem)];
  return Status::Ok();
}

// Removes candidates that fail a hard filter, counting each by the first reason that hit it.
void apply_filters(Context& cx, const fb::Slot& slot, int32_t slot_index, SlotResult& res, std::span<uint32_t>& cand) {
  const fb::Items& it = cx.snap.items();
  const uint64_t site_bit = cx.site >= 0 ? (uint64_t(1) << cx.site) : 0;
  const auto* rules = cx.snap.root().rules();
  const uint32_t nrules = rules ? rules->size() : 0;
  res.rule_excluded = cx.arena.zeroed<uint32_t>(nrules);
  auto excl = cx.arena.alloc<int32_t>(nrules);
  size_t nexcl = 0;
  for (uint32_t r = 0; r < nrules; ++r)
    if (rules->Get(r)->action() == fb::RuleAction::Exclude && rule_in_scope(cx, *rules->Get(r), r, slot_index))
      excl[nexcl++] = static_cast<int32_t>(r);

  const auto deny = deny_ranges(cx);
  const uint64_t* site_mask = col(it.site_mask());
  const int32_t* stock = slot.in_stock_only() ? col(it.stock()) : nullptr;
  const bool no_purchased = slot.exclude_purchased(), no_viewed = slot.exclude_viewed();
  const uint32_t npolicies = cx.policies.effect.size();
  res.policy_removed = cx.arena.zeroed<uint32_t>(npolicies);
  const bool entitlements = has_entitlements(cx.b2b);
  size_t keep = 0;
  for (uint32_t item : cand) {
    FilterReason why = FilterReason::kCount;
    // Compliance first: a policy's count is every candidate it covers, whatever else applies.
    if (cx.policies.any_filter) {
      int32_t p = policy_covering(cx.policies, cx.snap, item, PolicyEffect::kFilter);
      if (p >= 0) {
        ++res.policy_removed[p];
        ++res.filtered[static_cast<int>(FilterReason::kPolicy)];
        continue;
      }
    }
    if (denied(deny, item)) why = FilterReason::kDenyList;
    else if (entitlements && !entitled(cx.snap, cx.b2b, item)) why = FilterReason::kEntitlement;
    else if (contains_sorted(cx.request_exclude, item)) why = FilterReason::kRequestExclude;
    else if (site_mask && site_mask[item] != 0 && !(site_mask[item] & site_bit)) why = FilterReason::kSiteScope;
    else if (stock && stock[item] != -1 && stock[item] <= 0) why = FilterReason::kOutOfStock;  // -1: unknown
    else if (no_purchased && contains_sorted(cx.purchased, item)) why = FilterReason::kAlreadyPurchased;
    else if (no_viewed && contains_sorted(cx.viewed, item)) why = FilterReason::kAlreadyViewed;
    if (why != FilterReason::kCount) { ++res.filtered[static_cast<int>(why)]; continue; }
    bool removed = false;
    for (size_t e = 0; e < nexcl && !removed; ++e)
      if (cx.snap.rule_matches(excl[e], item)) { ++res.rule_excluded[excl[e]]; removed = true; }
    if (!removed) cand[keep++] = item;
  }
  cand = cand.first(keep);
}

// Higher score first; ties keep the source's order (catalog order for `all`/`category`, curated
// order for collections, the request's order for `request` slots).
bool ranks_before(float sa, size_t pa, float sb, size_t pb) { return sa > sb || (sa == sb && pa < pb); }

Status decide_slot(Context& cx, const SlotRequest& sr, SlotResult& res, std::vector<TermState>& terms,
                   const PipelineLimits& limits) {
  const fb::Snapshot& root = cx.snap.root();
  res.slot = cx.snap.find_slot(sr.id);
  res.req = &sr;
  if (res.slot < 0) {
    std::string known;
    if (root.slots())
      for (auto* s : *root.slots()) known += (known.empty() ? "" : ", ") + std::string(sv(s->id()));
    return Status(Code::kUnknownSlot, "unknown slot '" + sr.id + "' (this snapshot has: " + known + ")");
  }
  const fb::Slot& slot = *root.slots()->Get(res.slot);
  const SlotView view = slot_for_site(slot, cx.site);  // the request's site may override the slot
  res.strategy = view.strategy;
  int32_t size = sr.size > 0 ? sr.size : view.size;
  if (size > view.max_size)
    return Status(Code::kLimitExceeded, "slot '" + sr.id + "': size " + std::to_string(size) +
                                            " is over the slot's max_size " + std::to_string(view.max_size));
  if (!cx.targeting.condition_true(ConditionOf::kSlot, res.slot, slot.condition())) {
    res.skipped = true;  // the decision says why the slot is empty
    return Status::Ok();
  }

  std::span<uint32_t> cand;
  Status st = gather_candidates(cx, view, sr, res, cand, limits);
  if (!st.ok()) return st;
  apply_filters(cx, slot, res.slot, res, cand);
  // Plugins see only what survived the hard filters (docs/plugins.md).
  const PluginContext plugin_base{cx.snap, cx.req, cx.arena, {}, cx.site, cx.now, res.slot, cx.profile != nullptr};
  cx.plugins = &plugin_base;
  run_plugin_filters(plugin_base, slot, cand, res.plugins);

  // Scoring, one term (column) at a time, summed in term order.
  // An experiment variation's strategy wins over the site's (docs/experiments.md).
  res.strategy = experiment_strategy(cx.experiments, cx.snap, res.slot, view.strategy);
  const fb::Strategy& strat = *root.strategies()->Get(res.strategy);
  terms.clear();
  if (strat.terms())
    for (auto* t : *strat.terms()) {
      terms.push_back(prepare_term(cx, t));
      terms.back().weight = experiment_term_weight(cx.experiments, cx.snap, res.slot,
                                                   t->name() ? sv(t->name()) : term_kind_name(t->kind()), t->weight());
    }
  auto score = cx.arena.zeroed<float>(cand.size());
  // Consent policies: covered candidates are scored without profile-based terms.
  std::span<uint8_t> no_profile;
  res.policy_no_profile = cx.arena.zeroed<uint32_t>(cx.policies.effect.size());
  if (cx.policies.any_no_profile && cx.profile) {
    no_profile = cx.arena.zeroed<uint8_t>(cand.size());
    for (size_t c = 0; c < cand.size(); ++c) {
      int32_t p = policy_covering(cx.policies, cx.snap, cand[c], PolicyEffect::kNoProfile);
      if (p >= 0) { no_profile[c] = 1; ++res.policy_no_profile[p]; }
    }
  }
  for (const TermState& ts : terms) {
    if (!ts.active) continue;
    if (!no_profile.empty() && ts.term->personal()) {
      for (size_t c = 0; c < cand.size(); ++c)
        if (!no_profile[c]) score[c] += ts.weight * term_value(ts, cand[c]);
      continue;
    }
    accumulate(ts, cand, score);
  }

  // Boost / bury rules.
  const auto* rules = root.rules();
  const uint32_t nrules = rules ? rules->size() : 0;
  for (uint32_t r = 0; r < nrules; ++r) {
    const fb::Rule& rule = *rules->Get(r);
    if (rule.action() != fb::RuleAction::Boost && rule.action() != fb::RuleAction::Bury) continue;
    if (!rule_in_scope(cx, rule, r, res.slot)) continue;
    const float delta = rule.action() == fb::RuleAction::Boost ? rule.amount() : -rule.amount();
    for (size_t c = 0; c < cand.size(); ++c)
      if (cx.snap.rule_matches(r, cand[c])) score[c] += delta;
  }

  // Pins: each pin rule takes its best-ranked matching survivor.
  auto pinned = cx.arena.zeroed<uint8_t>(cand.size());
  struct Pin { uint32_t pos; int32_t rule; uint32_t c; };
  auto pins = cx.arena.alloc<Pin>(nrules);
  size_t npins = 0;
  for (uint32_t r = 0; r < nrules; ++r) {
    const fb::Rule& rule = *rules->Get(r);
    if (rule.action() != fb::RuleAction::Pin || !rule_in_scope(cx, rule, r, res.slot)) continue;
    int64_t best = -1;
    for (size_t c = 0; c < cand.size(); ++c)
      if (!pinned[c] && cx.snap.rule_matches(r, cand[c]) &&
          (best < 0 || ranks_before(score[c], c, score[best], static_cast<size_t>(best))))
        best = static_cast<int64_t>(c);
    if (best < 0) continue;
    pinned[best] = 1;
    pins[npins++] = Pin{rule.position(), static_cast<int32_t>(r), static_cast<uint32_t>(best)};
  }

  // Top-k of the unpinned candidates by (score desc, item index asc).
  const size_t k = std::min<size_t>(static_cast<size_t>(size), cand.size());
  auto order = cx.arena.alloc<uint32_t>(cand.size());
  size_t m = 0;
  for (size_t c = 0; c < cand.size(); ++c)
    if (!pinned[c]) order[m++] = static_cast<uint32_t>(c);
  const size_t take = std::min(k, m);
  const fb::Diversity* diversity = slot.diversity();
  if (!diversity)
    std::partial_sort(order.begin(), order.begin() + take, order.begin() + m, [&](uint32_t a, uint32_t b) {
      return ranks_before(score[a], a, score[b], b);
    });

  // Merge: pins at their positions (earlier rules first), ranked items fill the rest.
  res.ranked = cx.arena.alloc<uint32_t>(k);
  res.scores = cx.arena.alloc<float>(k);
  res.pinned_by = cx.arena.alloc<int32_t>(k);
  auto slot_c = cx.arena.alloc<int64_t>(k);
  for (size_t i = 0; i < k; ++i) slot_c[i] = -1;
  auto pin_rule = cx.arena.alloc<int32_t>(k);
  for (size_t p = 0; p < npins; ++p) {
    size_t pos = std::min<size_t>(pins[p].pos ? pins[p].pos - 1 : 0, k ? k - 1 : 0);
    while (pos < k && slot_c[pos] >= 0) ++pos;
    if (pos >= k) {  // position taken or beyond the list: the latest free place from the end
      pos = k;
      while (pos > 0 && slot_c[pos - 1] >= 0) --pos;
      if (pos == 0) continue;
      --pos;
    }
    slot_c[pos] = pins[p].c;
    pin_rule[pos] = pins[p].rule;
  }
  // Diversity (core/src/diversity.cpp) chooses which unpinned candidates fill the free places.
  std::span<uint32_t> fill = order.first(take);
  std::span<DiversityNote> notes;
  if (diversity) {
    auto placed = cx.arena.alloc<uint32_t>(k);
    size_t nplaced = 0;
    for (size_t i = 0; i < k; ++i)
      if (slot_c[i] >= 0) placed[nplaced++] = cand[slot_c[i]];
    fill = cx.arena.alloc<uint32_t>(k - nplaced);
    notes = cx.arena.alloc<DiversityNote>(k - nplaced);
    fill = fill.first(diversify(cx.snap, *diversity, cand, score, order.first(m), placed.first(nplaced),
                                k - nplaced, cx.arena, fill, notes, res.diversity_stats));
    // Score rank: the r-th unpinned candidate by score would have taken the r-th free place.
    auto free_pos = cx.arena.alloc<uint32_t>(k - nplaced);
    for (size_t i = 0, f = 0; i < k; ++i)
      if (slot_c[i] < 0) free_pos[f++] = static_cast<uint32_t>(i);
    for (size_t j = 0; j < fill.size(); ++j) {
      const uint32_t r = notes[j].score_order;
      notes[j].score_rank = r < k - nplaced ? free_pos[r] + 1 : static_cast<uint32_t>(r + nplaced + 1);
    }
  }
  auto slot_note = cx.arena.alloc<int32_t>(k);
  size_t next = 0;
  for (size_t i = 0; i < k; ++i) {
    int32_t rule = -1;
    slot_note[i] = -1;
    if (slot_c[i] >= 0) rule = pin_rule[i];
    else if (next < fill.size()) { slot_note[i] = static_cast<int32_t>(next); slot_c[i] = fill[next++]; }
    res.pinned_by[i] = rule;
  }
  if (diversity) res.diversity = cx.arena.alloc<DiversityNote>(k);
  // Compact (only when pins could not fill and ranked ran out).
  size_t out = 0;
  for (size_t i = 0; i < k; ++i) {
    if (slot_c[i] < 0) continue;
    res.ranked[out] = cand[slot_c[i]];
    res.scores[out] = score[slot_c[i]];
    res.pinned_by[out] = res.pinned_by[i];
    if (diversity) {
      res.diversity[out] = slot_note[i] >= 0 ? notes[slot_note[i]] : DiversityNote{};
      if (slot_note[i] >= 0 && res.diversity[out].score_rank != out + 1) ++res.diversity_stats.moved;
    }
    ++out;
  }
  if (diversity) res.diversity = res.diversity.first(out);
  res.ranked = res.ranked.first(out);
  res.scores = res.scores.first(out);
  res.pinned_by = res.pinned_by.first(out);
  // Stage plugins may reorder or drop places: the diversity notes move with their items as one
  // more parallel column.
  return run_plugin_stages(plugin_base, slot, res.ranked, res.scores, res.pinned_by, res.diversity, res.plugins);
}

// Units of `item` priced for this slot: the slot item's own quantity, else the request's.
uint32_t item_quantity(const Context& cx, const SlotResult& res, uint32_t item) {
  if (res.req && !res.req->quantities.empty()) {
    std::string_view id = sv(cx.snap.items().ids()->Get(item));
    for (size_t i = 0; i < res.req->items.size(); ++i)
      if (res.req->quantities[i] && res.req->items[i] == id) return res.req->quantities[i];
  }
  return cx.b2b.quantity;
}

void write_item(Context& cx, JsonWriter& w, const SlotResult& res, size_t i, const std::vector<TermState>& terms) {
  const fb::Snapshot& root = cx.snap.root();
  const fb::Items& it = cx.snap.items();
  const uint32_t item = res.ranked[i];
  w.begin_object();
  w.key("id"); w.string(sv(it.ids()->Get(item)));
  w.key("rank"); w.integer(static_cast<int64_t>(i + 1));
  w.key("score"); w.number(res.scores[i]);
  if (it.titles()) { w.key("title"); w.string(site_title(cx.snap, cx.site, item)); }
  if (it.category() && it.category()->Get(item) >= 0) {
    w.key("category"); w.string(sv(root.categories()->Get(it.category()->Get(item))->id()));
  }
  if (it.brand() && it.brand()->Get(item) >= 0) {
    w.key("brand"); w.string(sv(root.brands()->Get(it.brand()->Get(item))->id()));
  }
  PriceQuote quote;
  if (cx.b2b.pricing) {
    quote = quote_price(cx.snap, cx.b2b, item, item_quantity(cx, res, item));
    write_price_keys(cx.snap, cx.b2b, quote, w);
  } else if (it.price()) {
    w.key("price"); w.number(it.price()->Get(item), 4);
  }
  if (res.pinned_by[i] >= 0) {
    w.key("pinned"); w.string(sv(root.rules()->Get(res.pinned_by[i])->id()));
  }
  if (cx.req.explain) {
    const int32_t no_profile_by = cx.policies.any_no_profile && cx.profile
        ? policy_covering(cx.policies, cx.snap, item, PolicyEffect::kNoProfile) : -1;
    w.key("explain");
    w.begin_object();
    if (no_profile_by >= 0) { w.key("profile_off_by"); w.string(sv(root.policies()->Get(no_profile_by)->id())); }
    w.key("terms");
    w.begin_array();
    for (const TermState& ts : terms) {
      if (!ts.active || (no_profile_by >= 0 && ts.term->personal())) continue;
      float v = term_value(ts, item);
      w.begin_object();
      w.key("name"); w.string(ts.term->name() ? sv(ts.term->name()) : term_kind_name(ts.term->kind()));
      w.key("value"); w.number(v);
      w.key("weight"); w.number(ts.weight);
      w.key("contribution"); w.number(ts.weight * v);
      w.end_object();
    }
    w.end_array();
    w.key("rules");
    w.begin_array();
    if (const auto* rules = root.rules())
      for (uint32_t r = 0; r < rules->size(); ++r) {
        const fb::Rule& rule = *rules->Get(r);
        bool fired = static_cast<int32_t>(r) == res.pinned_by[i] ||
                     ((rule.action() == fb::RuleAction::Boost || rule.action() == fb::RuleAction::Bury) &&
                      rule_in_scope(cx, rule, r, res.slot) && cx.snap.rule_matches(r, item));
        if (!fired) continue;
        w.begin_object();
        w.key("id"); w.string(sv(rule.id()));
        w.key("action"); w.string(rule_action_name(rule.action()));
        if (rule.action() == fb::RuleAction::Pin) {
          w.key("position"); w.integer(rule.position());
        } else {
          w.key("amount"); w.number(rule.action() == fb::RuleAction::Boost ? rule.amount() : -rule.amount());
        }
        w.end_object();
      }
    w.end_array();
    if (cx.b2b.pricing) write_approval_explain(cx.snap, cx.b2b, quote, w);
    write_stage_notes(w, *root.slots()->Get(res.slot), res.plugins, item);
    if (!res.diversity.empty() && res.pinned_by[i] < 0)
      write_diversity_note(w, res.diversity[i], static_cast<uint32_t>(i + 1));
    w.end_object();
  }
  w.end_object();
}

void write_slot(Context& cx, JsonWriter& w, const SlotResult& res, const std::vector<TermState>& terms) {
  const fb::Snapshot& root = cx.snap.root();
  const fb::Slot& slot = *root.slots()->Get(res.slot);
  w.begin_object();
  w.key("id"); w.string(sv(slot.id()));
  w.key("strategy"); w.string(sv(root.strategies()->Get(res.strategy)->id()));
  if (res.skipped) { w.key("skipped"); w.string("condition"); }
  w.key("items");
  w.begin_array();
  for (size_t i = 0; i < res.ranked.size(); ++i) write_item(cx, w, res, i, terms);
  w.end_array();
  w.key("candidates"); w.integer(res.candidates);
  w.key("filtered");
  w.begin_object();
  for (int f = 0; f < static_cast<int>(FilterReason::kCount); ++f)
    if (res.filtered[f]) { w.key(filter_reason_name(static_cast<FilterReason>(f))); w.integer(res.filtered[f]); }
  for (size_t r = 0; r < res.rule_excluded.size(); ++r)
    if (res.rule_excluded[r]) {
      std::string k = "rule:" + std::string(sv(root.rules()->Get(static_cast<uint32_t>(r))->id()));
      w.key(k); w.integer(res.rule_excluded[r]);
    }
  write_plugin_filtered(w, slot, res.plugins);
  w.end_object();
  w.key("terms_off");
  w.begin_array();
  for (const TermState& ts : terms)
    if (!ts.active) w.string(ts.term->name() ? sv(ts.term->name()) : term_kind_name(ts.term->kind()));
  w.end_array();
  write_policies(w, cx.snap, cx.policies, res.policy_removed, res.policy_no_profile);
  if (slot.diversity()) write_diversity_stats(w, res.diversity_stats);
  w.end_object();
}

}  // namespace

Status decide(const Snapshot& snap, const Request& req, const Profile* profile, Arena& arena, std::string& out,
              const PipelineLimits& limits) {
  const fb::Snapshot& root = snap.root();
  std::string_view tenant = sv(root.tenant()->id());
  if (!req.tenant.empty() && req.tenant != tenant)
    return Status(Code::kInvalidArgument, "request is for tenant '" + req.tenant + "' but this engine serves '" +
                                              std::string(tenant) + "'");
  // Profile terms and filters run only with personalization consent: the request's own consent
  // list wins (the edge knows the visitor's current choice); otherwise the profile's record.
  bool consent = false;
  if (req.has_consent)
    consent = std::find(req.consent.begin(), req.consent.end(), kPersonalizationPurpose) != req.consent.end();
  else if (profile)
    consent = profile->has_consent(kPersonalizationPurpose);

  Context cx{snap, req, consent ? profile : nullptr, arena};
  if (!req.site.empty()) {
    cx.site = snap.find_site(req.site);
    if (cx.site < 0) return Status(Code::kInvalidArgument, "request.site: unknown site '" + req.site + "'");
  }
  cx.now = req.now > 0 ? req.now : root.built_at();
  if (Status st = cx.targeting.init(snap, req, cx.profile, cx.now, arena); !st.ok()) return st;
  auto in_segment = [](const void* t, int32_t g) { return static_cast<const Targeting*>(t)->in_segment(g); };
  if (Status b2b = prepare_b2b(snap, req, cx.site, cx.now, arena, cx.b2b, in_segment, &cx.targeting); !b2b.ok())
    return b2b;
  project_profile(cx);
  cx.request_exclude = resolve_ids(cx, req.exclude);
  cx.policies = prepare_policies(
      snap, req, profile, [](const void* t, int32_t s) { return static_cast<const Targeting*>(t)->in_segment(s); },
      &cx.targeting, &cx.targeting, arena);
  if (Status st = prepare_experiments(snap, req, profile, cx.targeting, arena, cx.experiments); !st.ok()) return st;

  std::vector<SlotResult> results(req.slots.size());
  std::vector<std::vector<TermState>> terms(req.slots.size());
  for (size_t s = 0; s < req.slots.size(); ++s) {
    Status st = decide_slot(cx, req.slots[s], results[s], terms[s], limits);
    if (!st.ok()) return st;
  }

  out.clear();
  JsonWriter w(out);
  w.begin_object();
  w.key("tenant"); w.string(tenant);
  w.key("snapshot");
  w.begin_object();
  w.key("version"); w.string(sv(root.version()));
  w.key("hash"); w.string(snap.hash());
  w.key("built_at"); w.integer(root.built_at());
  w.end_object();
  if (cx.site >= 0) { w.key("site"); w.string(req.site); }
  w.key("now"); w.integer(cx.now);
  w.key("personalized"); w.boolean(cx.profile != nullptr);
  if (cx.targeting.segment_count() > 0) {  // only snapshots that define segments report them
    w.key("segments");
    w.begin_array();
    for (size_t g = 0; g < cx.targeting.segment_count(); ++g)
      if (cx.in_segment(static_cast<int32_t>(g))) w.string(sv(root.segments()->Get(static_cast<uint32_t>(g))->id()));
    w.end_array();
  }
  write_experiments(w, snap, cx.experiments);  // only when the snapshot defines experiments
  w.key("slots");
  w.begin_array();
  for (size_t s = 0; s < results.size(); ++s) write_slot(cx, w, results[s], terms[s]);
  w.end_array();
  cx.targeting.write_errors(w);  // conditions that could not be evaluated (treated as false)
  w.end_object();
  return Status::Ok();
}

}  // namespace tailor
