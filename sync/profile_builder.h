// build_profiles: `tailor profiles` without the command line — events in, one TPRF profile per
// visitor out, keyed by a hash of tenant and user id (the raw id is never stored).
//
// Streaming in two passes with bounded memory: pass 1 reads the events once, validates them and
// appends each (with its hashed user id, never the raw one) to one of kPartitions spill files by
// the hash's first byte; pass 2 loads one partition at a time (plus that partition of the
// previous build's state), aggregates and emits its profiles. See docs/profiles.md.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "errors.h"
#include "source.h"
#include "tailor/snapshot.h"
#include "tailor/status.h"

namespace tailor::sync {

struct ProfileOptions {
  std::filesystem::path events_path;  // NDJSON; "-" reads stdin
  std::string events_name;            // the events file in messages; default: events_path
  // Instead of events_path: a file or PostgreSQL source with its map (docs/sources.md#events),
  // read row by row (single-row mode for PostgreSQL).
  std::optional<SourceSpec> events_source;
  // Profile traits (docs/profiles.md#traits): rows {user, <declared name>...} from a file or
  // PostgreSQL source, applied after the events; later rows win, a null value clears.
  std::optional<SourceSpec> traits_source;
  std::optional<int64_t> now;         // decay reference; default: the newest event's ts (and
                                      // never before the previous build's now)
  double half_life_days = 30.0;
  uint32_t shard_index = 0, shard_count = 1;  // only users with shard_of(hash) == shard_index
  // A directory written by an earlier run (its tailor-state/): continue from it.
  std::optional<std::filesystem::path> previous;
  // Where to write this run's state for the next incremental run (normally the output
  // directory); none = no state.
  std::optional<std::filesystem::path> state_out;
  // Temporary spill files go here (created and removed); default: state_out, else the system
  // temporary directory.
  std::optional<std::filesystem::path> spill_dir;
  // Hand users without new events to the sink too (false when updating a directory in place:
  // their profiles there are already current).
  bool emit_unchanged = true;
  int progress = -1;  // progress lines on stderr: -1 when stderr is a terminal, 0 off, 1 on
};

struct ProfileStats {
  uint64_t lines = 0;     // event lines read (every shard reads every line)
  uint64_t events = 0;    // valid events of this shard's users
  uint64_t skipped = 0;   // view/cart/purchase events for items the snapshot lacks
  uint64_t searches_matched = 0;  // search events that named a category or brand
  uint64_t trait_rows = 0;  // traits rows read (every shard reads every row)
  uint64_t traits = 0;      // traits rows of this shard's users
  uint64_t profiles = 0;  // users in the build (previous + new)
  uint64_t written = 0;   // profiles handed to the sink
  uint64_t previous_profiles = 0;  // users carried in from the previous state
  uint64_t events_bytes = 0;   // bytes of events read
  uint64_t spill_bytes = 0;    // bytes written to spill files
  uint64_t state_bytes = 0;    // bytes of state written
  uint64_t profile_bytes = 0;  // bytes handed to the sink
  int64_t now = 0;        // the decay reference used
};

// Receives each profile, in ascending user_hash order.
using ProfileSink = std::function<Status(const std::string& user_hash, std::span<const uint8_t> bytes)>;

// Caps that keep a profile well inside the engine's ProfileLimits (1 MiB, 100k tables).
constexpr size_t kMaxAffinities = 256;  // per list: categories, brands, each attribute
constexpr size_t kMaxRecentViewed = 20;
constexpr size_t kMaxRecentBought = 50;

// First 32 hex chars of sha256(tenant + ":" + user).
std::string user_hash(std::string_view tenant, std::string_view user);

// Reads the events, aggregates per visitor and emits profiles. Malformed events are errors
// (with line numbers, up to the cap) and then no profile is emitted. Returns false on errors.
bool build_profiles(const Snapshot& snapshot, const ProfileOptions& options, const ProfileSink& sink,
                    ProfileStats& stats, ErrorList& errors);

}  // namespace tailor::sync
