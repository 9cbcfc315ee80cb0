// build_profiles: `tailor profiles` without the command line — events in, one TPRF profile per
// visitor out, keyed by a hash of tenant and user id (the raw id is never stored).
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "errors.h"
#include "tailor/snapshot.h"
#include "tailor/status.h"

namespace tailor::sync {

struct ProfileOptions {
  std::filesystem::path events_path;
  std::string events_name;          // the events file in messages; default: events_path
  std::optional<int64_t> now;       // decay reference; default: the newest event's ts
  double half_life_days = 30.0;
};

struct ProfileStats {
  uint64_t events = 0;    // valid event lines
  uint64_t skipped = 0;   // view/cart/purchase events for items the snapshot lacks
  uint64_t profiles = 0;  // profiles handed to the sink
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
