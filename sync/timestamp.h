// Timestamps in config, sources and events: unix seconds or RFC 3339, always stored as seconds.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tailor/civil_date.h"

namespace tailor::sync {

// Latest accepted time (9999-12-31T23:59:59Z); larger values are usually milliseconds.
constexpr int64_t kMaxTimestamp = 253402300799;

// Parses "2025-11-20T08:30:00Z", "2025-11-20T10:30:00+02:00", "...:00.250Z" (fraction dropped).
std::optional<int64_t> parse_rfc3339(std::string_view s);

// Parses decimal unix seconds or RFC 3339. On failure returns nullopt and sets `why`
// (e.g. "'17x' is not a timestamp (unix seconds or RFC 3339)").
std::optional<int64_t> parse_timestamp(std::string_view s, std::string& why);

// Checks an integer timestamp's range; on failure sets `why`.
bool timestamp_in_range(int64_t t, std::string& why);

// Days since 1970-01-01 of a proleptic Gregorian date, and back (shared with the core).
using tailor::civil_from_days;
using tailor::days_from_civil;

// "20251120T000000Z": the default snapshot version label.
std::string format_compact_utc(int64_t t);
// "2025-11-20T00:00:00Z".
std::string format_rfc3339(int64_t t);

}  // namespace tailor::sync
