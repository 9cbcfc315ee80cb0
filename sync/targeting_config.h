// Targeting config: `segments` and the JsonLogic `condition` members (docs/targeting.md).
#pragma once
#include <nlohmann/json.hpp>

#include "config.h"
#include "config_reader.h"

namespace tailor::sync {

// Reads `segments: [{id, name?, condition?}]` into `c.segments`; problems are located
// ("segments[1].condition: unknown operator 'foo'").
void parse_segments(ConfigReader& r, const nlohmann::json& root, Config& c);

}  // namespace tailor::sync
