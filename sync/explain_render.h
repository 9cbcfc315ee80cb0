// Renders a decision JSON (docs/api.md) as readable text tables: one table per slot with each
// item's rank, id, score, every term's contribution, rules fired, price source/tier/approval,
// and per decision the policies applied, filtered counts, experiment arms and segments. Keys it
// does not know are shown compactly rather than dropped, so newer decisions still render.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace tailor::sync {

// The text for `decision` (an object with "slots"). Deterministic: same JSON, same text.
std::string render_decision(const nlohmann::ordered_json& decision);

}  // namespace tailor::sync
