// Rule schedules: {"start"|"starts_at", "end"|"ends_at", "time_zone"?} turned into UTC bounds.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace tailor::sync {

class ConfigReader;

// Reads the schedule object `s` at config path `path` into unix seconds (0 = unbounded).
// Without time_zone the bounds are unix seconds or RFC 3339 with an offset; with time_zone
// (IANA name) they are local date-times "YYYY-MM-DDTHH:MM[:SS]" converted with the system tz
// database (gaps move forward by the jump, overlaps take the earlier instant).
void parse_schedule(ConfigReader& r, const nlohmann::json& s, const std::string& path, int64_t& starts_at,
                    int64_t& ends_at);

}  // namespace tailor::sync
