// Segment definitions from a source (docs/sources.md#segments): the records of `segments_source`
// ({id, name?, condition?}) appended to tailor.json's `segments`, checked like them.
#pragma once
#include <filesystem>

#include "catalog.h"
#include "config.h"
#include "errors.h"

namespace tailor::sync {

// Reads config.segments_source (when declared) and appends one SegmentConfig per record, in
// source order, after tailor.json's segments. A condition is JsonLogic: JSON text (CSV, text
// columns) or a JSON value (JSON/NDJSON sources, PostgreSQL json/jsonb), compiled like a config
// condition. Then checks the segment references of every condition (rules, slots, experiments
// and segments), which parse_config leaves to this step when a source is declared. Errors are
// located: "segments.csv:3: field 'condition': and[1]: unknown operator 'foo'",
// "segments.csv:4: field 'id': duplicate segment 'vip' (also tailor.json: segments[0].id)".
// `base_dir` is the config's directory (as given to parse_config). `progress` sees "segments".
void load_segments_source(Config& config, const std::filesystem::path& base_dir, ErrorList& errors,
                          const ProgressFn& progress = {});

}  // namespace tailor::sync
