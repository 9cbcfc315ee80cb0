// Profile build state: what `tailor profiles` keeps beside the profiles so the next run can apply
// only new events (`--previous`). Profiles themselves are normalised and capped, so they cannot
// be continued; the state holds the raw decayed sums as of the build's `now`, keyed by user hash.
//
// Layout under the output directory (docs/profiles.md):
//   tailor-state/shard-<i>-of-<N>/manifest.json   tenant, now, half-life, event order watermark
//   tailor-state/shard-<i>-of-<N>/p<XX>.bin        users whose hash starts with byte XX
// Every file holds hashed ids only.
#pragma once
#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "errors.h"
#include "profile_traits.h"
#include "tailor/snapshot.h"

namespace tailor::sync {

using UserHash = std::array<uint8_t, 16>;  // first 16 bytes of sha256(tenant:user)

// Users are spread over this many partitions by the first byte of their hash; one partition is
// in memory at a time, and processing them in order emits profiles sorted by hash.
constexpr uint32_t kPartitions = 256;
inline uint32_t partition_of(const UserHash& h) { return h[0]; }
// The shard of a user for `--shard i/N`: bytes 8..15 of the hash, big-endian, modulo N.
uint32_t shard_of(const UserHash& h, uint32_t shard_count);
std::string hash_hex(const UserHash& h);

// Orders events: (ts, order) where order is the event's position in all events ever applied
// (the previous builds' watermark + line), so "latest" is the same in an incremental build as
// in one over the concatenated events.
using Seq = std::pair<int64_t, uint64_t>;

struct UserState {
  std::map<int32_t, double> categories, brands;               // snapshot index -> decayed weight
  std::map<std::pair<int32_t, uint32_t>, double> attributes;  // (attribute, dict code) -> weight
  std::vector<double> embedding;                              // weighted sum of item vectors
  std::unordered_map<uint32_t, Seq> viewed, bought;           // item -> newest occurrence
  bool has_consent = false, has_identify = false;
  Seq consent_at{}, identify_at{};
  std::vector<std::string> consent, segments;
  std::string account;
  int64_t updated_at = 0;
  std::map<std::string, TraitValue> traits;  // declared profile traits by name (profile_traits.h)
  bool touched = false;  // got events in this run (not only carried from the previous state)

  // Multiplies every decayed quantity by `factor` (moving the state to a later `now`).
  void decay(double factor);
};

// Item id -> index by hashing: the snapshot's binary search over ids was the largest single
// cost of reading 10M events.
class ItemIndex {
 public:
  explicit ItemIndex(const Snapshot& snap);
  int32_t find(std::string_view id) const {
    auto it = map_.find(id);
    return it == map_.end() ? -1 : it->second;
  }

 private:
  std::unordered_map<std::string_view, int32_t> map_;
};

// Build-wide facts stored in each shard's manifest.json.
struct StateManifest {
  std::string tenant;
  int64_t now = 0;
  double half_life_days = 30;
  uint64_t order_end = 0;  // events-file lines applied by this and every earlier build
  uint32_t shard_index = 0, shard_count = 1;
  uint64_t profiles = 0;
};

// Encodes one partition's users (ascending hash) with snapshot indexes written as ids, so a
// later build with a rebuilt snapshot can read it.
class StateWriter {
 public:
  explicit StateWriter(const Snapshot& snap) : snap_(snap) {}
  void add(const UserHash& hash, const UserState& u);
  // Writes the encoded partition to `path`; clears the buffer.
  Status flush_to(const std::filesystem::path& path);
  uint64_t bytes_written() const { return written_; }

 private:
  const Snapshot& snap_;
  std::string buf_;
  uint32_t count_ = 0;
  uint64_t written_ = 0;
};

// Decodes partition files back into index space. Categories, brands, attribute values and items
// the snapshot no longer has are dropped; an embedding of another dimension is dropped.
class StateReader {
 public:
  explicit StateReader(const Snapshot& snap);
  // Adds the users of `path` that belong to shard `shard_index` of `shard_count` to `users`.
  bool read(const std::filesystem::path& path, uint32_t shard_index, uint32_t shard_count,
            std::map<UserHash, UserState>& users, ErrorList& errors) const;

 private:
  const Snapshot& snap_;
  ItemIndex items_;
  std::unordered_map<std::string, int32_t> categories_, brands_, attributes_;
  std::vector<TraitDecl> traits_;
};

// "tailor-state/shard-<i>-of-<N>" under `out`.
std::filesystem::path shard_state_dir(const std::filesystem::path& out, uint32_t shard_index, uint32_t shard_count);
std::filesystem::path partition_file(const std::filesystem::path& shard_dir, uint32_t partition);
Status write_manifest(const std::filesystem::path& shard_dir, const StateManifest& m);

// The previous build found under `dir`: the shard directories to read for a run of shard
// `shard_index`/`shard_count`, and their common manifest facts.
struct PreviousState {
  StateManifest manifest;
  std::vector<std::filesystem::path> shard_dirs;
};
bool find_previous_state(const std::filesystem::path& dir, uint32_t shard_index, uint32_t shard_count,
                         PreviousState& out, ErrorList& errors);

}  // namespace tailor::sync
