// Site overrides (docs/tenancy.md): the `site_overrides` source ({item, site, title?, hidden?})
// turned into per-site title columns and per-site deny lists, and written to the snapshot.
#pragma once
#include <flatbuffers/flatbuffers.h>

#include "catalog.h"
#include "config.h"
#include "errors.h"
#include "resolve.h"

namespace tailor::sync {

// Reads config.site_overrides (when present) into out.site_items and the per-site deny lists of
// out.deny_lists. Errors name the record and field: "overrides.csv:4: field 'site': unknown site 'x'".
// `progress` sees "site overrides".
void load_site_overrides(const Config& config, const Catalog& catalog, Resolved& out, ErrorList& errors,
                         const ProgressFn& progress = {});

// The snapshot's site_items vector (null offset when no site overrides a title).
flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::SiteItemOverrides>>> write_site_items(
    flatbuffers::FlatBufferBuilder& fbb, const std::vector<ResolvedSiteItems>& sites);

}  // namespace tailor::sync
