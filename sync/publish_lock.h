// One publisher per tenant and target (docs/sync.md#one-publisher-at-a-time): `tailor publish` and
// `tailor rollback` take the tenant's publish lock before reading the manifest, check that they
// still hold it right before switching the manifest, and release it at the end.
//
// The lock is a small JSON value {"schema":1,"owner","host","pid","operation","token",
// "acquired_at","expires_at"} at KeyLayout::lock(). A directory creates it atomically (O_EXCL).
// Workers KV has no conditional write, so there the lock is a lease: written, read back (a
// concurrent writer's value wins and the other publisher stops), and read again before the switch.
// A lock past its `expires_at`, or held by a process of this host that no longer exists, is stale
// and taken over (with a warning); --force-unlock removes any lock first.
#pragma once
#include <cstdint>
#include <string>

#include "publish.h"
#include "publish_store.h"

namespace tailor::sync {

constexpr int64_t kDefaultLockTimeoutS = 3600;

struct LockOptions {
  int64_t timeout_s = kDefaultLockTimeoutS;  // lease: a lock older than this is stale
  bool force = false;                        // --force-unlock: remove any lock first
  std::string operation;                     // "publish v42", "rollback": shown to the loser
};

struct PublishLock {
  std::string key, token;
  bool held = false;
};

// Takes the tenant's lock. kExitLocked (5) with who holds it when another publisher does;
// `warning` says when a stale lock was taken over or a lock was forced.
OpResult acquire_publish_lock(Store& store, const std::string& tenant, const LockOptions& opts, PublishLock& lock,
                              std::string& warning);

// kExitLocked unless `lock` is still ours (not taken over, not removed): called right before the
// manifest switch, so a publisher that lost its lock switches nothing.
OpResult check_publish_lock(Store& store, const PublishLock& lock);

// Removes the lock when it is still ours (best effort).
void release_publish_lock(Store& store, PublishLock& lock);

}  // namespace tailor::sync
