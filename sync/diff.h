// diff_snapshots: `tailor diff` without the command line — what changed between two snapshots,
// entity by entity (matched by id, never by index), as a JSON report and its text rendering.
#pragma once
#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "tailor/snapshot.h"

namespace tailor::sync {

struct DiffOptions {
  // Entries listed per section (and per price list's entries); 0 = all. Counts are always complete.
  size_t limit = 20;
};

// Compares `a` (old) with `b` (new). Items are merged in id order (Items.id_order, O(n) for sorted
// snapshots), other sections by id. The report is
//   {"same", "a": {...}, "b": {...}, "header": {field: {from, to}},
//    "sections": {name: {"added", "removed", "changed", "unchanged", "fields": {field: count},
//                        "list": [{"id", "change": "added"|"removed"|"changed", "fields"?}], "truncated"}}}
// where "same" ignores the header (version label, built_at, schema versions, digest).
nlohmann::ordered_json diff_snapshots(const Snapshot& a, const Snapshot& b, const DiffOptions& options = {});

// The report as readable text: one line per changed section, then one per listed entry.
std::string render_diff_text(const nlohmann::ordered_json& report);

}  // namespace tailor::sync
