// Snapshot writer: a checked config + catalog serialised as the TSNP FlatBuffer.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "catalog.h"
#include "config.h"
#include "resolve.h"

namespace tailor::sync {

// Writes the snapshot (schema_version 1; min_engine the lowest feature level its features need,
// sync/feature_level.h). Deterministic: the same inputs give the same bytes.
std::vector<uint8_t> write_snapshot(const Config& config, const Catalog& catalog, const Resolved& resolved,
                                    const std::string& version, int64_t built_at);

}  // namespace tailor::sync
