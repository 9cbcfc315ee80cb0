// Targeting config: `segments` and the JsonLogic `condition` members of segments, rules and slots
// (docs/targeting.md). Conditions are compiled here, at config parse time, with the same compiler
// `tailor jsonlogic` runs, so what is tested is what ships.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config.h"
#include "config_reader.h"

namespace tailor::sync {

// Segments per snapshot: tailor.json's and segments_source's together. Every conditional segment
// is decided per request, so a table of segments must not grow without bound.
constexpr size_t kMaxSegments = 10'000;

// Reads `segments: [{id, name?, condition?}]` into `c.segments` and the `segments_source`
// declaration (read later, by load_segments_source); problems are located
// ("segments[1].condition: unknown operator 'foo'").
void parse_segments(ConfigReader& r, const nlohmann::json& root, Config& c);

// Compiles the optional member `condition` of `obj` (at config path `path`) into `program` (left
// empty when absent) and appends the segment ids it names to `segment_refs` (see
// condition_segment_refs). Errors are located: "rules[2].condition.and[1]: unknown operator 'foo'".
void parse_condition(ConfigReader& r, const nlohmann::json& obj, const std::string& path,
                     std::vector<uint8_t>& program, std::vector<IdRef>& segment_refs);

// The segment ids a condition names literally: the first argument of every
// {"in": ["<id>", {"var": "segments"}]} in it, with their config paths under `path`.
void condition_segment_refs(const nlohmann::json& rule, const std::string& path, std::vector<IdRef>& out);

// Once every segment is parsed: reports segment references of rule, slot and segment conditions
// that name no segment, and segment conditions that read a segment whose own condition is decided
// later (itself or a later conditional segment): membership is decided in config order.
void check_condition_refs(ConfigReader& r, const Config& c);

}  // namespace tailor::sync
