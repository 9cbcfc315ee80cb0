// inspect_snapshot: `tailor inspect` without the command line — verify a .tsnap and describe it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "tailor/snapshot_generated.h"
#include "tailor/status.h"

namespace tailor::sync {

// Verifier limits used by inspect (generous: inspect also looks at snapshots the engine refuses).
constexpr uint32_t kInspectMaxDepth = 64;
constexpr uint32_t kInspectMaxTables = 10'000'000;

// Verifies `bytes` (identifier "TSNP", FlatBuffers verifier with explicit limits, then the
// engine's semantic checks) and returns a JSON description (2-space indented), with the first
// `items` items listed. Errors: kSnapshotIdentifier, kSnapshotInvalid, kLimitExceeded,
// kSnapshotIncompatible.
Result<std::string> inspect_snapshot(std::span<const uint8_t> bytes, size_t items = 0);

// Config names of a slot source kind and a rule action (as `tailor.json` spells them).
const char* source_kind(fb::SourceKind k);
const char* action_name(fb::RuleAction a);

}  // namespace tailor::sync
