// Site overrides (docs/tenancy.md): what one site of a tenant changes in a slot (strategy, size,
// source) and in items (titles). Both are resolved per request from the request's site with a
// binary search; nothing is copied.
#pragma once
#include <cstdint>
#include <string_view>

#include "tailor/snapshot.h"
#include "tailor/status.h"

namespace tailor {

// A slot as a request on one site sees it: the site's override, else the slot's own fields.
struct SlotView {
  const fb::Slot* slot = nullptr;
  fb::SourceKind source = fb::SourceKind::All;
  int32_t source_index = -1;
  int32_t strategy = -1;
  uint16_t size = 0, max_size = 0;
  bool overridden = false;  // the site has an override for this slot
};

// The slot's fields for `site` (-1: no site, the slot as configured).
SlotView slot_for_site(const fb::Slot& slot, int32_t site);

// The title `item` shows on `site`: the site's override, else the item's own ("" when none).
std::string_view site_title(const Snapshot& snap, int32_t site, uint32_t item);

// Snapshot::open checks: override sites, strategies and sources in range and sorted; per-site item
// override tables sorted by site, items sorted/unique and in range, titles parallel.
Status validate_sites(const fb::Snapshot& root, uint32_t item_count);

}  // namespace tailor
