#include "publish.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "commands.h"
#include "file_io.h"
#include "json_parse.h"
#include "tailor/sha256.h"
#include "tailor/snapshot.h"

namespace tailor::sync {

using ojson = nlohmann::ordered_json;

namespace {

constexpr uint64_t kMaxProfileBytes = 1 << 20;  // the core's profile cap

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

ojson entry_json(const VersionEntry& e) {
  return ojson{{"version", e.version},         {"sha256", e.sha256},         {"bytes", e.bytes},
               {"chunks", e.chunks},           {"chunk_bytes", e.chunk_bytes}, {"signature", e.signature},
               {"approvers", e.approvers},     {"published_at", e.published_at}};
}

// Reads one version entry (the manifest's top level or an element of "previous").
bool parse_entry(const nlohmann::json& j, const std::string& where, VersionEntry& e, std::string& why) {
  auto str = [&](const char* k, std::string& out, bool required) {
    if (!j.contains(k)) {
      if (required) why = where + k + ": missing";
      return !required;
    }
    if (!j[k].is_string()) {
      why = where + k + ": must be a string";
      return false;
    }
    out = j[k].get<std::string>();
    return true;
  };
  auto num = [&](const char* k, uint64_t& out, uint64_t max, bool required) {
    if (!j.contains(k)) {
      if (required) why = where + k + ": missing";
      return !required;
    }
    if (!j[k].is_number_unsigned() || j[k].get<uint64_t>() > max) {
      why = where + k + ": must be an integer 0.." + std::to_string(max);
      return false;
    }
    out = j[k].get<uint64_t>();
    return true;
  };
  uint64_t chunks = 0;
  if (!str("version", e.version, true) || !str("sha256", e.sha256, true) || !str("published_at", e.published_at, false) ||
      !num("bytes", e.bytes, SnapshotLimits{}.max_bytes, true) || !num("chunks", chunks, 1u << 20, true) ||
      !num("chunk_bytes", e.chunk_bytes, kMaxChunkBytes, false))
    return false;
  e.chunks = static_cast<uint32_t>(chunks);
  if (!valid_version_name(e.version)) {
    why = where + "version: '" + e.version + "' is not a version name (1-64 of A-Z a-z 0-9 . _ -)";
    return false;
  }
  if (!is_hex64(e.sha256)) {
    why = where + "sha256: must be 64 hex characters";
    return false;
  }
  if (e.chunks < 1) {
    why = where + "chunks: must be at least 1";
    return false;
  }
  e.signature = j.contains("signature")
                    ? ojson::parse(j["signature"].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
                    : ojson(nullptr);
  if (!e.signature.is_null() && !e.signature.is_object()) {
    why = where + "signature: must be a signature envelope object or null";
    return false;
  }
  e.approvers.clear();
  if (j.contains("approvers")) {
    if (!j["approvers"].is_array()) {
      why = where + "approvers: must be an array of key ids";
      return false;
    }
    for (const auto& a : j["approvers"]) {
      if (!a.is_string()) {
        why = where + "approvers: must be an array of key ids";
        return false;
      }
      e.approvers.push_back(a.get<std::string>());
    }
  }
  return true;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? "none" : s;
}

// Checks the envelope against the policy and the tenant's recorded requirement. Without keys an
// envelope is still checked to be for these bytes (a tampered snapshot is never published).
OpResult check_signatures(std::span<const uint8_t> bytes, const ojson& envelope, const SigningPolicy& policy,
                          const std::string& tenant, uint32_t live_required, const std::string& what,
                          std::vector<std::string>& approvers, uint32_t& required) {
  approvers.clear();
  required = policy.required;
  if (live_required > policy.required && !policy.allow_fewer) {
    return {kExitInput, "tenant " + tenant + " requires " + std::to_string(live_required) +
                            " approver signature" + (live_required == 1 ? "" : "s") +
                            " (recorded in its live manifest): pass the approvers' keys with --pub and --required " +
                            std::to_string(live_required) + ", or lower the requirement with --allow-fewer-signatures"};
  }
  Envelope env;
  bool have_env = !envelope.is_null();
  if (have_env) {
    std::string why;
    if (!parse_envelope(dump_json(envelope), env, why)) return {kExitInput, what + ": " + why};
    const auto digest = digest_of(bytes);
    std::string hex = to_hex(digest.data(), digest.size());
    std::string signed_hex = env.sha256;
    for (char& c : signed_hex) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (signed_hex != hex)
      return {kExitInput, what + ": digest mismatch: the snapshot's sha256 " + hex + " is not the signed digest " +
                              env.sha256 + " (the snapshot was modified after signing, or the envelope is another snapshot's)"};
  }
  if (required == 0) return {};
  if (!have_env) return {kExitInput, what + ": unsigned, and " + std::to_string(required) + " approver signature" +
                                         (required == 1 ? " is" : "s are") + " required"};
  VerifyResult r = verify_envelope(bytes, env, policy.keys, static_cast<int>(required));
  if (!r.ok) return {kExitInput, what + ": " + r.reason};
  approvers = r.signers;
  return {};
}

// Reads every chunk of `e` and checks count, sizes and SHA-256. `assembled` gets the bytes when
// non-null. Missing or mismatched chunks are kExitSnapshot (the version cannot be served).
OpResult read_version(Store& store, const std::string& tenant, const VersionEntry& e, const PushProgressFn& progress,
                      std::vector<uint8_t>* assembled) {
  Sha256 h;
  uint64_t total = 0;
  std::vector<uint8_t> buf;
  if (assembled) {
    assembled->clear();
    assembled->reserve(e.bytes);
  }
  for (uint32_t i = 0; i < e.chunks; ++i) {
    const std::string key = store.layout().chunk(tenant, e.version, i);
    bool found = false;
    Status st = store.get(key, kMaxChunkBytes, buf, found);
    if (!st.ok()) return {st.code() == Code::kLimitExceeded ? kExitSnapshot : kExitIo, key + ": " + st.message()};
    if (!found)
      return {kExitSnapshot, "version " + e.version + ": chunk " + std::to_string(i + 1) + " of " +
                                 std::to_string(e.chunks) + " (" + key + ") is missing"};
    total += buf.size();
    if (total > e.bytes)
      return {kExitSnapshot, "version " + e.version + ": chunks hold more than the recorded " + std::to_string(e.bytes) +
                                 " bytes"};
    h.update(buf.data(), buf.size());
    if (assembled) assembled->insert(assembled->end(), buf.begin(), buf.end());
    if (progress) progress("verify", total, e.bytes);
  }
  if (total != e.bytes)
    return {kExitSnapshot, "version " + e.version + ": chunks hold " + std::to_string(total) + " bytes, the manifest says " +
                               std::to_string(e.bytes)};
  const auto d = h.finish();
  const std::string hex = to_hex(d.data(), d.size());
  if (hex != e.sha256)
    return {kExitSnapshot, "version " + e.version + ": chunks have sha256 " + hex + ", the manifest says " + e.sha256};
  return {};
}

// Deletes chunks of versions that are neither live nor kept (also leftovers of failed publishes).
void collect_garbage(Store& store, const std::string& tenant, const Manifest& m, PublishReport& report) {
  std::set<std::string> keep{m.live.version};
  for (const VersionEntry& p : m.previous) keep.insert(p.version);
  std::vector<std::string> keys;
  Status st = store.list(store.layout().chunks_prefix(tenant), 1'000'000, keys);
  if (!st.ok()) {
    report.warning = "old versions not removed: " + st.message();
    return;
  }
  std::set<std::string> removed;
  for (const std::string& key : keys) {
    auto v = store.layout().version_of(tenant, key);
    if (!v || keep.count(*v)) continue;
    st = store.remove(key);
    if (!st.ok()) {
      report.warning = "old version " + *v + " not fully removed: " + st.message();
      continue;
    }
    removed.insert(*v);
  }
  report.removed.assign(removed.begin(), removed.end());
}

// Profiles are not versioned (the edge reads `profile:<tenant>:<user_hash>`): they are written in
// place, in batches of at most 1,000 files or 32 MiB, before the snapshot's switch.
OpResult publish_profiles(Store& store, const std::string& tenant,
                          const std::vector<std::pair<std::string, std::string>>& profiles, const PushProgressFn& progress) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> batch;
  uint64_t batch_bytes = 0;
  size_t done = 0;
  auto flush = [&]() -> OpResult {
    if (batch.empty()) return {};
    Status st = store.put_many(batch);
    if (!st.ok()) return {kExitIo, "writing profiles failed: " + st.message()};
    done += batch.size();
    batch.clear();
    batch_bytes = 0;
    if (progress) progress("profiles", done, profiles.size());
    return {};
  };
  for (const auto& [hash, path] : profiles) {
    std::vector<uint8_t> bytes;
    Status st = read_file(path, kMaxProfileBytes, bytes);
    if (!st.ok()) return {st.code() == Code::kIoError ? kExitIo : kExitInput, st.message()};
    batch_bytes += bytes.size();
    batch.emplace_back(store.layout().profile(tenant, hash), std::move(bytes));
    if (batch.size() >= 1000 || batch_bytes >= (32u << 20)) {
      OpResult r = flush();
      if (!r.ok()) return r;
    }
  }
  return flush();
}

Status write_manifest(Store& store, const Manifest& m) {
  const std::string text = serialize_manifest(m);
  return store.put(store.layout().manifest(m.tenant),
                   std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

}  // namespace

bool valid_version_name(std::string_view v) {
  if (v.empty() || v.size() > 64 || v[0] == '.') return false;
  for (char c : v)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

std::string serialize_manifest(const Manifest& m) {
  ojson j = {{"schema", 1}, {"tenant", m.tenant}};
  const ojson live = entry_json(m.live);  // a named object: items() must not outlive a temporary
  for (auto& [k, v] : live.items()) j[k] = v;
  j["required_signatures"] = m.required_signatures;
  ojson prev = ojson::array();
  for (const VersionEntry& p : m.previous) prev.push_back(entry_json(p));
  j["previous"] = prev;
  return dump_json(j, 1) + "\n";
}

bool parse_manifest(std::string_view text, Manifest& out, std::string& why) {
  nlohmann::json j;
  if (!parse_json(text, j, why)) {
    why = "manifest is not JSON: " + why;
    return false;
  }
  if (!j.is_object()) {
    why = "manifest must be a JSON object";
    return false;
  }
  out = Manifest{};
  if (j.contains("schema") && (!j["schema"].is_number_integer() || j["schema"].get<int64_t>() != 1)) {
    why = "manifest: schema: this tailor reads schema 1";
    return false;
  }
  if (j.contains("tenant")) {
    if (!j["tenant"].is_string()) {
      why = "manifest: tenant: must be a string";
      return false;
    }
    out.tenant = j["tenant"].get<std::string>();
  }
  if (!parse_entry(j, "manifest: ", out.live, why)) return false;
  if (j.contains("required_signatures")) {
    if (!j["required_signatures"].is_number_unsigned() || j["required_signatures"].get<uint64_t>() > 64) {
      why = "manifest: required_signatures: must be an integer 0..64";
      return false;
    }
    out.required_signatures = static_cast<uint32_t>(j["required_signatures"].get<uint64_t>());
  }
  if (j.contains("previous")) {
    if (!j["previous"].is_array() || j["previous"].size() > kMaxKeep) {
      why = "manifest: previous: must be an array of at most " + std::to_string(kMaxKeep) + " versions";
      return false;
    }
    for (size_t i = 0; i < j["previous"].size(); ++i) {
      VersionEntry e;
      if (!j["previous"][i].is_object()) {
        why = "manifest: previous[" + std::to_string(i) + "]: must be an object";
        return false;
      }
      if (!parse_entry(j["previous"][i], "manifest: previous[" + std::to_string(i) + "].", e, why)) return false;
      out.previous.push_back(std::move(e));
    }
  }
  return true;
}

OpResult read_manifest(Store& store, const std::string& tenant, Manifest& out, bool& found) {
  const std::string key = store.layout().manifest(tenant);
  std::vector<uint8_t> bytes;
  Status st = store.get(key, kMaxManifestBytes, bytes, found);
  if (!st.ok()) return {kExitIo, "reading the manifest " + key + " from " + store.describe() + ": " + st.message()};
  if (!found) return {};
  std::string why;
  if (!parse_manifest(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), out, why))
    return {kExitInput, key + " on " + store.describe() + ": " + why + " (fix or delete it by hand; nothing was changed)"};
  if (!out.tenant.empty() && out.tenant != tenant)
    return {kExitInput, key + " on " + store.describe() + ": manifest is for tenant " + out.tenant + ", not " + tenant};
  out.tenant = tenant;
  return {};
}

OpResult publish_snapshot(Store& store, const std::string& tenant, std::span<const uint8_t> snapshot,
                          const ojson& envelope, const SigningPolicy& policy, const PublishOptions& opts,
                          const PushProgressFn& progress, PublishReport& report) {
  report = PublishReport{};
  report.tenant = tenant;
  report.version = opts.version;
  report.bytes = snapshot.size();
  report.sha256 = sha256_hex(snapshot);
  if (opts.chunk_bytes < 1 || opts.chunk_bytes > kMaxChunkBytes)
    return {kExitUsage, "chunk size must be 1.." + std::to_string(kMaxChunkBytes) + " bytes"};

  Manifest cur;
  bool have = false;
  OpResult r = read_manifest(store, tenant, cur, have);
  if (!r.ok()) return r;
  if (have) report.previous_live = cur.live.version;

  uint32_t required = 0;
  r = check_signatures(snapshot, envelope, policy, tenant, have ? cur.required_signatures : 0, "signature envelope",
                       report.approvers, required);
  if (!r.ok()) return r;
  report.required_signatures = required;

  // A version name stands for one set of bytes: never overwrite a live or kept version's chunks.
  bool existed = false;
  if (have) {
    std::vector<const VersionEntry*> known{&cur.live};
    for (const VersionEntry& p : cur.previous) known.push_back(&p);
    for (const VersionEntry* e : known) {
      if (e->version != opts.version) continue;
      if (e->sha256 != report.sha256)
        return {kExitInput, "version " + opts.version + " is already published with other bytes (sha256 " + e->sha256 +
                                "); build the new snapshot with a new --version"};
      existed = true;
    }
  }

  if (!opts.profiles.empty()) {
    r = publish_profiles(store, tenant, opts.profiles, progress);
    if (!r.ok()) {
      r.message += "; nothing was switched" + (have ? ": " + cur.live.version + " is still live" : std::string());
      return r;
    }
    report.profiles = opts.profiles.size();
  }

  VersionEntry e;
  e.version = opts.version;
  e.sha256 = report.sha256;
  e.bytes = snapshot.size();
  e.chunk_bytes = opts.chunk_bytes;
  e.chunks = static_cast<uint32_t>(std::max<uint64_t>(1, (snapshot.size() + opts.chunk_bytes - 1) / opts.chunk_bytes));
  e.signature = envelope;
  e.approvers = report.approvers;
  e.published_at = opts.published_at;
  report.chunks = e.chunks;

  // An unchanged live version whose chunks are intact is not written again.
  const bool live_same = have && cur.live.version == opts.version;
  bool need_write = true;
  if (live_same && cur.live.chunks == e.chunks && read_version(store, tenant, cur.live, nullptr, nullptr).ok())
    need_write = false;

  if (need_write) {
    uint64_t done = 0;
    for (uint32_t i = 0; i < e.chunks; ++i) {
      const uint64_t at = uint64_t(i) * opts.chunk_bytes;
      const auto part = snapshot.subspan(at, std::min<uint64_t>(opts.chunk_bytes, snapshot.size() - at));
      const std::string key = store.layout().chunk(tenant, e.version, i);
      Status st = store.put(key, part);
      if (!st.ok()) {
        // Best effort: a new version's partial chunks go (garbage collection gets any left).
        if (!existed)
          for (uint32_t k = 0; k <= i; ++k) (void)store.remove(store.layout().chunk(tenant, e.version, k));
        return {kExitIo, "writing chunk " + std::to_string(i + 1) + " of " + std::to_string(e.chunks) + " (" + key +
                             ") failed: " + st.message() + "; nothing was switched" +
                             (have ? ": " + cur.live.version + " is still live" : "")};
      }
      done += part.size();
      if (progress) progress("upload", done, snapshot.size());
    }
    if (opts.readback) {
      r = read_version(store, tenant, e, progress, nullptr);
      if (!r.ok())
        return {kExitIo, "read-back after writing failed: " + r.message + "; nothing was switched" +
                             (have ? ": " + cur.live.version + " is still live" : "")};
    }
  }

  Manifest next;
  next.tenant = tenant;
  next.live = e;
  next.required_signatures = required;
  if (have) {
    if (live_same) {
      next.previous = cur.previous;
    } else {
      next.previous.push_back(cur.live);
      for (const VersionEntry& p : cur.previous)
        if (p.version != e.version) next.previous.push_back(p);
    }
  }
  if (next.previous.size() > opts.keep) next.previous.resize(opts.keep);
  report.unchanged = live_same && !need_write && cur.live.signature == e.signature &&
                     cur.live.approvers == e.approvers && cur.required_signatures == required &&
                     cur.previous.size() == next.previous.size();
  if (!report.unchanged) {
    if (opts.before_switch) {
      r = opts.before_switch();
      if (!r.ok()) {
        r.message += "; nothing was switched" + (have ? ": " + cur.live.version + " is still live" : std::string());
        return r;
      }
    }
    Status st = write_manifest(store, next);
    if (!st.ok())
      return {kExitIo, "switching the manifest failed: " + st.message() +
                           (have ? "; " + cur.live.version + " should still be live (check with tailor rollback --list)"
                                 : "")};
  }
  for (const VersionEntry& p : next.previous) report.kept.push_back(p.version);
  collect_garbage(store, tenant, next, report);
  return {};
}

OpResult rollback(Store& store, const std::string& tenant, const std::string& version, const SigningPolicy& policy,
                  const PushProgressFn& progress, PublishReport& report,
                  const std::function<OpResult()>& before_switch) {
  report = PublishReport{};
  report.tenant = tenant;
  Manifest cur;
  bool have = false;
  OpResult r = read_manifest(store, tenant, cur, have);
  if (!r.ok()) return r;
  if (!have) return {kExitInput, "nothing is published for tenant " + tenant + " on " + store.describe()};
  report.previous_live = cur.live.version;
  std::vector<std::string> kept;
  for (const VersionEntry& p : cur.previous) kept.push_back(p.version);
  if (version == cur.live.version) {
    report.version = version;
    report.unchanged = true;
    report.sha256 = cur.live.sha256;
    report.bytes = cur.live.bytes;
    report.chunks = cur.live.chunks;
    report.kept = kept;
    return {};
  }
  const VersionEntry* target = nullptr;
  for (const VersionEntry& p : cur.previous)
    if (!target && (version.empty() || p.version == version)) target = &p;
  if (!target)
    return {kExitInput, version.empty() ? "tenant " + tenant + " has no previous version kept to roll back to"
                                        : "version " + version + " is not kept for tenant " + tenant +
                                              " (live: " + cur.live.version + ", kept: " + join(kept) + ")"};
  std::vector<uint8_t> bytes;
  r = read_version(store, tenant, *target, progress, &bytes);
  if (!r.ok()) {
    r.message = "refusing to roll back: " + r.message;
    return r;
  }
  auto snap = Snapshot::open(bytes);
  if (!snap.ok())
    return {kExitSnapshot, "refusing to roll back: version " + target->version + " is not a valid snapshot: " +
                               snap.status().message()};
  if (sv(snap.value().root().tenant()->id()) != tenant)
    return {kExitSnapshot, "refusing to roll back: version " + target->version + " is a snapshot of tenant " +
                               std::string(sv(snap.value().root().tenant()->id()))};
  uint32_t required = 0;
  std::vector<std::string> approvers;
  r = check_signatures(bytes, target->signature, policy, tenant, cur.required_signatures,
                       "refusing to roll back to " + target->version, approvers, required);
  if (!r.ok()) return r;

  Manifest next;
  next.tenant = tenant;
  next.live = *target;
  if (!approvers.empty()) next.live.approvers = approvers;
  next.required_signatures = required;
  next.previous.push_back(cur.live);
  for (const VersionEntry& p : cur.previous)
    if (p.version != target->version) next.previous.push_back(p);
  if (before_switch) {
    r = before_switch();
    if (!r.ok()) {
      r.message += "; nothing was switched: " + cur.live.version + " is still live";
      return r;
    }
  }
  Status st = write_manifest(store, next);
  if (!st.ok())
    return {kExitIo, "switching the manifest failed: " + st.message() + "; " + cur.live.version + " should still be live"};
  report.version = next.live.version;
  report.sha256 = next.live.sha256;
  report.bytes = next.live.bytes;
  report.chunks = next.live.chunks;
  report.approvers = next.live.approvers;
  report.required_signatures = required;
  for (const VersionEntry& p : next.previous) report.kept.push_back(p.version);
  return {};
}

}  // namespace tailor::sync
