#include "tailor/sites.h"

#include <algorithm>

namespace tailor {
namespace {

Status invalid(std::string what) { return Status(Code::kSnapshotInvalid, "snapshot invalid: " + what); }

template <class V>
uint32_t len(const V* v) { return v ? v->size() : 0; }

}  // namespace

SlotView slot_for_site(const fb::Slot& slot, int32_t site) {
  SlotView v;
  v.slot = &slot;
  v.source = slot.source();
  v.source_index = slot.source_index();
  v.strategy = slot.strategy();
  v.size = slot.size();
  v.max_size = slot.max_size();
  const auto* overrides = slot.site_overrides();
  if (site < 0 || !overrides) return v;
  // Sorted by site: at most 64 entries, a short binary search.
  uint32_t lo = 0, hi = overrides->size();
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int32_t s = overrides->Get(mid)->site();
    if (s < site) lo = mid + 1;
    else if (s > site) hi = mid;
    else {
      const fb::SlotSiteOverride& o = *overrides->Get(mid);
      v.overridden = true;
      if (o.strategy() >= 0) v.strategy = o.strategy();
      if (o.size() > 0) v.size = o.size();
      if (o.max_size() > 0) v.max_size = o.max_size();
      if (o.has_source()) {
        v.source = o.source();
        v.source_index = o.source_index();
      }
      break;
    }
  }
  return v;
}

std::string_view site_title(const Snapshot& snap, int32_t site, uint32_t item) {
  const auto* titles = snap.items().titles();
  std::string_view own = titles ? sv(titles->Get(item)) : std::string_view();
  const auto* tables = snap.root().site_items();
  if (site < 0 || !tables) return own;
  for (const fb::SiteItemOverrides* t : *tables) {
    if (t->site() != site) continue;
    if (!t->items() || !t->titles()) return own;
    const uint32_t* b = t->items()->data();
    const uint32_t* e = b + t->items()->size();
    const uint32_t* p = std::lower_bound(b, e, item);
    if (p == e || *p != item) return own;
    std::string_view title = sv(t->titles()->Get(static_cast<uint32_t>(p - b)));
    return title.empty() ? own : title;
  }
  return own;
}

Status validate_sites(const fb::Snapshot& root, uint32_t n) {
  const int32_t nsite = static_cast<int32_t>(len(root.sites()));
  const uint32_t nstrat = len(root.strategies()), ncat = len(root.categories()), ncol = len(root.collections());
  if (const auto* slots = root.slots())
    for (const fb::Slot* sl : *slots) {
      const auto* overrides = sl->site_overrides();
      if (!overrides) continue;
      const std::string id(sv(sl->id()));
      int32_t prev = -1;
      for (const fb::SlotSiteOverride* o : *overrides) {
        if (o->site() < 0 || o->site() >= nsite || o->site() <= prev)
          return invalid("slot '" + id + "' site overrides (site index, sorted, unique)");
        prev = o->site();
        if (o->strategy() < -1 || o->strategy() >= static_cast<int32_t>(nstrat))
          return invalid("slot '" + id + "' site override strategy index");
        if (!o->has_source()) continue;
        if (o->source() > fb::SourceKind::MAX) return invalid("slot '" + id + "' site override source kind");
        if (o->source() == fb::SourceKind::Category &&
            (o->source_index() < 0 || static_cast<uint32_t>(o->source_index()) >= ncat))
          return invalid("slot '" + id + "' site override category index");
        if (o->source() == fb::SourceKind::Collection &&
            (o->source_index() < 0 || static_cast<uint32_t>(o->source_index()) >= ncol))
          return invalid("slot '" + id + "' site override collection index");
      }
    }
  if (const auto* tables = root.site_items()) {
    int32_t prev = -1;
    for (const fb::SiteItemOverrides* t : *tables) {
      if (t->site() < 0 || t->site() >= nsite || t->site() <= prev)
        return invalid("site item overrides (site index, sorted, unique)");
      prev = t->site();
      const uint32_t m = len(t->items());
      if (len(t->titles()) != m) return invalid("site item overrides: titles not parallel to items");
      for (uint32_t i = 0; i < m; ++i) {
        uint32_t item = t->items()->Get(i);
        if (item >= n || (i && t->items()->Get(i - 1) >= item))
          return invalid("site item overrides: items (sorted, unique, in range)");
      }
    }
  }
  return Status::Ok();
}

}  // namespace tailor
