// Where `tailor publish` writes: a key-value store with the few operations publishing needs, and
// the key layout of each kind of target. Three targets share the publishing logic (publish.h):
//   dir:PATH     files for static / CDN hosting (the browser adapter reads them)
//   cloudflare   a Workers KV namespace through the Cloudflare API (kv_http.h)
//   local[:URL]  the local edge of scripts/demo, which serves the same KV API subset on loopback
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tailor/status.h"

namespace tailor::sync {

// Key names. KV keys are those src/worker.js reads (`<prefix>manifest:<tenant>`,
// `<prefix>snapshot:<tenant>:<version>:<i>`, `<prefix>profile:<tenant>:<user_hash>`); a directory
// uses paths a CDN can serve (`<tenant>/manifest.json`, `<tenant>/versions/<version>/snapshot.<i>`,
// `<tenant>/profiles/<user_hash>.tprof`).
class KeyLayout {
 public:
  enum class Kind { kKv, kDir };
  KeyLayout(Kind kind, std::string prefix) : kind_(kind), prefix_(std::move(prefix)) {}

  std::string manifest(std::string_view tenant) const;
  std::string chunk(std::string_view tenant, std::string_view version, uint32_t i) const;
  std::string profile(std::string_view tenant, std::string_view user_hash) const;
  // The tenant's publish lock (publish_lock.h): `<prefix>lock:<tenant>`, `<tenant>/.publish.lock`.
  std::string lock(std::string_view tenant) const;
  // Every chunk key of `tenant` starts with this; version_of() reads the version back out.
  std::string chunks_prefix(std::string_view tenant) const;
  std::optional<std::string> version_of(std::string_view tenant, std::string_view chunk_key) const;
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
  std::string prefix_;
};

class Store {
 public:
  virtual ~Store() = default;
  // "dir /srv/cdn", "Cloudflare KV namespace 0f3c...", "local edge http://127.0.0.1:8788".
  virtual std::string describe() const = 0;
  virtual const KeyLayout& layout() const = 0;

  virtual Status put(const std::string& key, std::span<const uint8_t> value) = 0;
  // Many small values at once (visitor profiles); the default puts them one by one.
  virtual Status put_many(const std::vector<std::pair<std::string, std::vector<uint8_t>>>& values);
  // `found` false (and ok) when the key does not exist. Values over `max_bytes` are an error.
  virtual Status get(const std::string& key, uint64_t max_bytes, std::vector<uint8_t>& out, bool& found) = 0;
  // Writes `key` only when it does not exist: `created` false (and ok) when it does. A directory
  // does this atomically (O_EXCL); the default (KV: no conditional writes in the Cloudflare API)
  // is a read then a write, which two writers can both pass (publish_lock.cpp re-reads).
  virtual Status create(const std::string& key, std::span<const uint8_t> value, bool& created);
  // Deleting a missing key is not an error.
  virtual Status remove(const std::string& key) = 0;
  // Every key starting with `prefix` (at most `max_keys`; more is an error).
  virtual Status list(const std::string& prefix, size_t max_keys, std::vector<std::string>& keys) = 0;
};

// Files under `root`; every write goes to a temporary file renamed into place.
std::unique_ptr<Store> make_dir_store(const std::string& root);

}  // namespace tailor::sync
