// A slot's "diversity" member (docs/config.md#diversity): caps per brand/category and MMR.
#pragma once
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config.h"
#include "config_reader.h"
#include "tailor/snapshot_generated.h"

namespace tailor::sync {

// Caps on what a slot may ask for (a window beyond this would cost more than it diversifies).
constexpr int64_t kMaxDiversityCap = 1000;
constexpr int64_t kMaxMmrWindow = 1000;

// Reads slot `s`'s "diversity" (path `p` is "slots[3]"); nullopt when absent or wrong (reported).
// `c` must have its embedding parsed: MMR needs item embeddings.
std::optional<DiversityConfig> parse_diversity(ConfigReader& r, const nlohmann::json& s, const std::string& p,
                                               const Config& c);

// The snapshot table for a slot's diversity; 0 when the slot has none.
flatbuffers::Offset<fb::Diversity> write_diversity(flatbuffers::FlatBufferBuilder& fbb,
                                                   const std::optional<DiversityConfig>& d);

}  // namespace tailor::sync
