// Publishing snapshots to a Store with an atomic switch, kept versions and rollback
// (`tailor publish`, `tailor rollback`; docs/sync.md).
//
// A publish writes every chunk of the new version, reads them back and checks their SHA-256, and
// only then rewrites the tenant's manifest (the pointer the edge follows). A failure before that
// leaves the manifest, so the previous version stays live. Versions beyond `keep` previous ones
// are deleted after the flip, never before.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "publish_store.h"
#include "signing.h"

namespace tailor::sync {

// Workers KV takes values up to 25 MiB: bigger snapshots are split into chunks of this size.
constexpr uint64_t kMaxChunkBytes = 25ull * 1024 * 1024;
constexpr uint32_t kMaxKeep = 100;
constexpr size_t kMaxManifestBytes = 4 << 20;

// One published version: what the edge needs to fetch and check it.
struct VersionEntry {
  std::string version, sha256, published_at;
  uint64_t bytes = 0, chunk_bytes = 0;
  uint32_t chunks = 0;
  nlohmann::ordered_json signature;     // the envelope, or null
  std::vector<std::string> approvers;   // key ids whose signatures were verified at publish
};

// `<tenant>` manifest: the live version's fields at the top level (what src/worker.js reads),
// the tenant's signing policy, and the kept previous versions, newest first.
struct Manifest {
  std::string tenant;
  VersionEntry live;
  uint32_t required_signatures = 0;     // publishes and rollbacks need this many approvers
  std::vector<VersionEntry> previous;
};

std::string serialize_manifest(const Manifest& m);
// Parses and validates a manifest; `why` says what is wrong.
bool parse_manifest(std::string_view text, Manifest& out, std::string& why);

// Versions are path and key components: 1-64 of [A-Za-z0-9._-], not starting with '.'.
bool valid_version_name(std::string_view v);

// Who must have signed: the trusted keys and how many of them (0 = no requirement).
struct SigningPolicy {
  std::vector<Trusted> keys;
  uint32_t required = 0;
  bool allow_fewer = false;  // accept a `required` below the live manifest's
};

// Outcome of publish/rollback: an exit code of commands.h and a message when not ok.
struct OpResult {
  int exit = 0;
  std::string message;
  bool ok() const { return exit == 0; }
};

struct PublishOptions {
  std::string version;       // manifest version (the snapshot's own label by default)
  uint64_t chunk_bytes = kMaxChunkBytes;
  uint32_t keep = 3;         // previous versions kept after the flip
  bool readback = true;      // read every chunk back before the flip
  std::string published_at;  // RFC 3339; set by the command
  // Visitor profiles (user_hash, .tprof file) written before the flip, in batches.
  std::vector<std::pair<std::string, std::string>> profiles;
  // Called right before the manifest is switched; a failure stops the publish there (the
  // publish lock's check, publish_lock.h).
  std::function<OpResult()> before_switch;
};

// What happened, for the summary line and --json.
struct PublishReport {
  std::string tenant, version, sha256, previous_live;
  uint64_t bytes = 0;
  uint32_t chunks = 0, required_signatures = 0;
  std::vector<std::string> approvers, kept, removed;
  size_t profiles = 0;
  bool unchanged = false;  // the version was already live with the same bytes
  std::string warning;     // garbage collection trouble after a successful flip
};


// Called with bytes done / total while chunks are written and read back (for the progress bar).
using PushProgressFn = std::function<void(const char* phase, uint64_t done, uint64_t total)>;

// Publishes `snapshot` (already opened and checked by the caller) of `tenant` with its signature
// envelope (null when unsigned). Enforces `policy` (and the live manifest's own requirement).
OpResult publish_snapshot(Store& store, const std::string& tenant, std::span<const uint8_t> snapshot,
                          const nlohmann::ordered_json& envelope, const SigningPolicy& policy,
                          const PublishOptions& opts, const PushProgressFn& progress, PublishReport& report);

// Makes `version` (empty: the newest kept one) live again after checking that all its chunks are
// present and match its recorded size and SHA-256, and its signatures against `policy`.
// `before_switch` as in PublishOptions.
OpResult rollback(Store& store, const std::string& tenant, const std::string& version, const SigningPolicy& policy,
                  const PushProgressFn& progress, PublishReport& report,
                  const std::function<OpResult()>& before_switch = {});

// Reads the tenant's manifest: `found` false when nothing was published.
OpResult read_manifest(Store& store, const std::string& tenant, Manifest& out, bool& found);

}  // namespace tailor::sync
