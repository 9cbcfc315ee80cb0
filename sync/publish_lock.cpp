#include "publish_lock.h"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <random>

#include "commands.h"
#include "json_parse.h"
#include "timestamp.h"

namespace tailor::sync {
namespace {

using ojson = nlohmann::ordered_json;

struct LockInfo {
  std::string owner, host, operation, token;
  int64_t pid = 0, acquired_at = 0, expires_at = 0;
};

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string new_token() {
  std::random_device rd;
  static const char* d = "0123456789abcdef";
  std::string t;
  for (int i = 0; i < 32; ++i) t += d[rd() & 15];
  return t;
}

bool parse_lock(const std::vector<uint8_t>& bytes, LockInfo& out) {
  nlohmann::json j;
  std::string why;
  if (!parse_json(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), j, why) ||
      !j.is_object())
    return false;
  auto str = [&](const char* k, std::string& v) {
    if (j.contains(k) && j[k].is_string()) v = j[k].get<std::string>();
  };
  auto num = [&](const char* k, int64_t& v) {
    if (j.contains(k) && j[k].is_number_integer()) v = j[k].get<int64_t>();
  };
  str("owner", out.owner);
  str("host", out.host);
  str("operation", out.operation);
  str("token", out.token);
  num("pid", out.pid);
  num("acquired_at", out.acquired_at);
  num("expires_at", out.expires_at);
  return !out.token.empty() && out.expires_at > 0;
}

std::string describe(const LockInfo& l) {
  return (l.owner.empty() ? "someone" : l.owner) + "@" + (l.host.empty() ? "?" : l.host) + " pid " +
         std::to_string(l.pid) + (l.operation.empty() ? "" : " (" + l.operation + ")") + " since " +
         format_rfc3339(l.acquired_at) + ", lease until " + format_rfc3339(l.expires_at);
}

// Stale: its lease is over, or it names a process of this host that is gone.
bool stale(const LockInfo& l, int64_t now, std::string& why) {
  if (now >= l.expires_at) {
    why = "its lease ended at " + format_rfc3339(l.expires_at);
    return true;
  }
  if (l.host == host_name() && l.pid > 0 && ::kill(static_cast<pid_t>(l.pid), 0) != 0 && errno == ESRCH) {
    why = "process " + std::to_string(l.pid) + " of this host is gone";
    return true;
  }
  return false;
}

Status read_lock(Store& store, const std::string& key, bool& found, std::vector<uint8_t>& bytes) {
  return store.get(key, 1 << 16, bytes, found);
}

}  // namespace

OpResult acquire_publish_lock(Store& store, const std::string& tenant, const LockOptions& opts, PublishLock& lock,
                              std::string& warning) {
  lock = PublishLock{};
  lock.key = store.layout().lock(tenant);
  lock.token = new_token();
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const char* user = std::getenv("USER");
  const ojson value = {{"schema", 1},
                       {"owner", user && *user ? user : "unknown"},
                       {"host", host_name()},
                       {"pid", static_cast<int64_t>(getpid())},
                       {"operation", opts.operation},
                       {"token", lock.token},
                       {"acquired_at", now},
                       {"expires_at", now + opts.timeout_s}};
  const std::string text = dump_json(value) + "\n";
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  const std::string where = lock.key + " on " + store.describe();

  if (opts.force) {
    bool found = false;
    std::vector<uint8_t> old;
    Status st = read_lock(store, lock.key, found, old);
    if (!st.ok()) return {kExitIo, "reading the publish lock " + where + ": " + st.message()};
    if (found) {
      LockInfo l;
      warning = "--force-unlock removed the publish lock " + where +
                (parse_lock(old, l) ? " of " + describe(l) : std::string(" (unreadable)"));
      st = store.remove(lock.key);
      if (!st.ok()) return {kExitIo, "removing the publish lock " + where + ": " + st.message()};
    }
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool created = false;
    Status st = store.create(lock.key, bytes, created);
    if (!st.ok()) return {kExitIo, "taking the publish lock " + where + ": " + st.message()};
    std::vector<uint8_t> cur;
    bool found = false;
    st = read_lock(store, lock.key, found, cur);
    if (!st.ok()) return {kExitIo, "reading the publish lock " + where + ": " + st.message()};
    LockInfo holder;
    const bool readable = found && parse_lock(cur, holder);
    if (created) {
      if (readable && holder.token == lock.token) {
        lock.held = true;
        return {};
      }
      // A concurrent writer's lock replaced ours (KV: last write wins): it goes on, we stop.
    }
    if (!found) continue;  // released meanwhile: try again
    if (!readable)
      return {kExitLocked, "the publish lock " + where + " is unreadable: nothing was changed (if no publish is " +
                               "running, rerun with --force-unlock)"};
    std::string why;
    if (holder.token != lock.token && attempt == 0 && stale(holder, now, why)) {
      // Remove it only if it is still the stale one, then compete for it like a fresh lock.
      std::vector<uint8_t> again;
      st = read_lock(store, lock.key, found, again);
      if (st.ok() && found && again == cur) (void)store.remove(lock.key);
      warning = "took over a stale publish lock " + where + " of " + describe(holder) + ": " + why;
      continue;
    }
    return {kExitLocked, "tenant " + tenant + " is being published: " + where + " is held by " + describe(holder) +
                             "; nothing was changed. Wait for it, or if that publisher is dead rerun with " +
                             "--force-unlock (a lock is stale by itself once its lease ends)"};
  }
  return {kExitLocked, "could not take the publish lock " + where + ": another publisher took it at the same time; "
                       "nothing was changed"};
}

OpResult check_publish_lock(Store& store, const PublishLock& lock) {
  if (!lock.held) return {};
  std::vector<uint8_t> cur;
  bool found = false;
  Status st = read_lock(store, lock.key, found, cur);
  if (!st.ok()) return {kExitIo, "reading the publish lock " + lock.key + " before the switch: " + st.message()};
  LockInfo holder;
  if (!found || !parse_lock(cur, holder) || holder.token != lock.token)
    return {kExitLocked, "lost the publish lock " + lock.key + " on " + store.describe() +
                             (found && !holder.token.empty() ? " to " + describe(holder) : std::string(" (removed)")) +
                             " before the switch"};
  if (static_cast<int64_t>(std::time(nullptr)) >= holder.expires_at)
    return {kExitLocked, "the publish lock " + lock.key + " on " + store.describe() +
                             " expired before the switch (raise --lock-timeout for long publishes)"};
  return {};
}

void release_publish_lock(Store& store, PublishLock& lock) {
  if (!lock.held) return;
  lock.held = false;
  std::vector<uint8_t> cur;
  bool found = false;
  LockInfo holder;
  if (read_lock(store, lock.key, found, cur).ok() && found && parse_lock(cur, holder) && holder.token == lock.token)
    (void)store.remove(lock.key);
}

}  // namespace tailor::sync
