// `tailor publish` and `tailor rollback`: snapshots to a directory, a Cloudflare KV namespace or
// the local edge, with an atomic manifest switch and kept versions (sync/publish.h, docs/sync.md).
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>

#include "args.h"
#include "cli_util.h"
#include "commands.h"
#include "file_io.h"
#include "json_parse.h"
#include "kv_http.h"
#include "progress.h"
#include "publish.h"
#include "publish_lock.h"
#include "signing.h"
#include "signing_config.h"
#include "tailor/snapshot.h"
#include "timestamp.h"

using namespace tailor::sync;
namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

#define TARGET_HELP                                                                                         \
  "Targets (--to):\n"                                                                                       \
  "  dir:PATH       files for static / CDN hosting: PATH/<tenant>/manifest.json,\n"                         \
  "                 PATH/<tenant>/versions/<version>/snapshot.<i>, PATH/<tenant>/profiles/<hash>.tprof\n"   \
  "  cloudflare     a Workers KV namespace through the Cloudflare API: CLOUDFLARE_ACCOUNT_ID,\n"            \
  "                 CLOUDFLARE_API_TOKEN and TAILOR_KV_NAMESPACE_ID from the environment\n"                \
  "                 (--account/--namespace override the ids; TAILOR_CF_API_BASE the API URL)\n"           \
  "  local[:URL]    the local edge of scripts/demo (default URL http://127.0.0.1:8788, or\n"                \
  "                 TAILOR_LOCAL_EDGE); same KV layout and API as cloudflare\n"                             \
  "  --prefix P     key prefix inside the KV namespace (the tenant's kv_prefix at the edge)\n"              \
  "  --retries N    HTTP retries per request on connection errors, 429 and 5xx (default 3)\n"          \
  "\n"                                                                                                    \
  "One publisher per tenant: a publish or rollback takes the tenant's publish lock (dir:\n"               \
  "<tenant>/.publish.lock created atomically; KV: lock:<tenant>, a lease read back and checked again\n"   \
  "before the switch) and exits 5 when another one holds it, changing nothing.\n"                        \
  "  --lock-timeout S  the lock's lease in seconds (default 3600, 60..86400): a lock older than its\n"    \
  "                 lease, or of a dead process on this host, is stale and taken over\n"                \
  "  --force-unlock removes the tenant's lock first (only when its publisher is known to be dead)\n"

#define SIGNING_HELP                                                                                        \
  "  --config FILE  the tenant's tailor.json: its \"signing\" section gives the approvers' keys and K\n"      \
  "                 (--pub and --required override them)\n"                                                 \
  "  --pub FILES    trusted approver public keys, comma-separated (`tailor keygen`)\n"                       \
  "  --required K   approver signatures needed (default 1 with --pub). The manifest records K;\n"            \
  "                 later publishes and rollbacks of the tenant need at least as many\n"                    \
  "  --allow-fewer-signatures   accept a --required below the one the live manifest records\n"

const char* const kPublishUsage =
    "usage: tailor publish SNAPSHOT --to TARGET [options]\n"
    "\n"
    "Publishes a snapshot for its tenant: writes its chunks (25 MiB each at most: the KV value\n"
    "limit), reads them back and checks their SHA-256, then switches the tenant's manifest to the\n"
    "new version. A publish that fails before the switch leaves the previous version live. After\n"
    "the switch, versions beyond the --keep newest previous ones are deleted.\n"
    "\n"
    TARGET_HELP
    "\n"
    "Options:\n"
    "  --sig FILE     signature envelope (default SNAPSHOT.sig.json when it exists). It must be\n"
    "                 for this snapshot's bytes (a tampered snapshot is refused)\n"
    SIGNING_HELP
    "  --version V    version name in the manifest (default: the snapshot's version label);\n"
    "                 1-64 of A-Z a-z 0-9 . _ -. A published name never changes its bytes\n"
    "  --keep N       previous versions kept for rollback (default 3, 0..100)\n"
    "  --profiles DIR publish DIR/<user_hash>.tprof (`tailor profiles --out`) before the switch\n"
    "  --chunk-bytes N  chunk size (default and maximum 26214400)\n"
    "  --no-readback  trust the store's answers instead of reading chunks back\n"
    "  --json         print a JSON summary on stdout\n"
    "\n"
    "Progress goes to stderr when it is a terminal; a summary line at the end.\n"
    "Exit codes: 0 published (or already live), 1 refused (signatures, tenant policy, version name\n"
    "taken by other bytes, unreadable manifest), 2 usage, 3 invalid snapshot, 4 io or network\n"
    "error (nothing was switched unless the message says otherwise), 5 another publisher holds the\n"
    "tenant's publish lock (nothing was changed).\n";

const char* const kRollbackUsage =
    "usage: tailor rollback --to TARGET (--tenant T | --config tailor.json) [--version V] [options]\n"
    "       tailor rollback --to TARGET (--tenant T | --config tailor.json) --list\n"
    "\n"
    "Makes a kept version live again (default: the newest previous one). Its chunks are read and\n"
    "checked against the recorded size and SHA-256, it must open as a snapshot of the tenant and\n"
    "carry the signatures the tenant requires; then the manifest is switched to it. The version\n"
    "that was live becomes the newest previous one, so rolling back twice undoes the first.\n"
    "--list prints the live and kept versions instead.\n"
    "\n"
    TARGET_HELP
    "\n"
    "Options:\n"
    "  --tenant T     the tenant id (default: tenant.id of --config)\n"
    "  --version V    the kept version to make live\n"
    SIGNING_HELP
    "  --json         print a JSON summary on stdout\n"
    "\n"
    "Exit codes: 0 rolled back (or already live), 1 refused (nothing published, version not kept,\n"
    "signatures), 2 usage, 3 the version's chunks are missing or do not match (not switched),\n"
    "4 io or network error, 5 another publisher holds the tenant's publish lock (nothing changed).\n";

namespace {

const std::vector<Flag> kTargetFlags = {{"--to", true},  {"--prefix", true}, {"--account", true},
                                        {"--namespace", true}, {"--retries", true}, {"--json", false},
                                        {"--pub", true}, {"--required", true}, {"--allow-fewer-signatures", false},
                                        {"--config", true}, {"--lock-timeout", true}, {"--force-unlock", false}};

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

bool parse_count(const std::string& text, uint64_t max, uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size() && out <= max;
}

// The store named by --to; nullptr with `why` on a usage problem.
std::unique_ptr<Store> open_target(const Args& args, std::string& why) {
  auto to = args.get("--to");
  if (!to || to->empty()) {
    why = "--to TARGET is required (dir:PATH, cloudflare or local[:URL])";
    return nullptr;
  }
  const std::string prefix = args.get("--prefix").value_or("");
  uint64_t retries = 3;
  if (auto r = args.get("--retries"); r && !parse_count(*r, 10, retries)) {
    why = "--retries needs a count 0..10, got '" + *r + "'";
    return nullptr;
  }
  if (to->rfind("dir:", 0) == 0) {
    if (to->size() == 4) {
      why = "--to dir:PATH needs a path";
      return nullptr;
    }
    if (!prefix.empty()) {
      why = "--prefix is for KV targets (a directory target is already per tenant)";
      return nullptr;
    }
    return make_dir_store(to->substr(4));
  }
  KvHttpConfig c;
  c.prefix = prefix;
  c.retries = static_cast<int>(retries);
  if (*to == "cloudflare") {
    c.base = env("TAILOR_CF_API_BASE");
    if (c.base.empty()) c.base = "https://api.cloudflare.com/client/v4";
    c.account = args.get("--account").value_or(env("CLOUDFLARE_ACCOUNT_ID"));
    c.namespace_id = args.get("--namespace").value_or(env("TAILOR_KV_NAMESPACE_ID"));
    c.token = env("CLOUDFLARE_API_TOKEN");
    if (c.account.empty()) why = "--to cloudflare needs an account id: CLOUDFLARE_ACCOUNT_ID or --account";
    else if (c.namespace_id.empty()) why = "--to cloudflare needs a KV namespace id: TAILOR_KV_NAMESPACE_ID or --namespace";
    else if (c.token.empty()) why = "--to cloudflare needs an API token in CLOUDFLARE_API_TOKEN (never on the command line)";
    if (!why.empty()) return nullptr;
    c.label = "Cloudflare KV namespace " + c.namespace_id;
    return make_kv_http_store(c);
  }
  if (*to == "local" || to->rfind("local:", 0) == 0) {
    std::string url = to->size() > 6 ? to->substr(6) : env("TAILOR_LOCAL_EDGE");
    if (url.empty()) url = "http://127.0.0.1:8788";
    while (!url.empty() && url.back() == '/') url.pop_back();
    // The local edge serves the Cloudflare API subset under /client/v4 for one namespace.
    c.base = url + "/client/v4";
    c.account = "local";
    c.namespace_id = args.get("--namespace").value_or("TAILOR_KV");
    c.token = env("TAILOR_LOCAL_EDGE_TOKEN");
    c.label = "local edge " + url;
    return make_kv_http_store(c);
  }
  why = "--to: unknown target '" + *to + "' (dir:PATH, cloudflare or local[:URL])";
  return nullptr;
}

// --config/--pub/--required/--allow-fewer-signatures. The `signing` section of --config gives the
// approvers' keys and K; --pub replaces the keys and --required the count. `config_tenant` gets
// the config's tenant.id ("" without --config). Returns an exit code (kExitOk when fine).
int signing_policy(const char* cmd, const char* usage, const Args& args, SigningPolicy& policy,
                   std::string& config_tenant) {
  policy = SigningPolicy{};
  config_tenant.clear();
  policy.allow_fewer = args.has("--allow-fewer-signatures");
  auto pubs = args.get("--pub");
  auto config = args.get("--config");
  uint64_t required = 0;
  if (auto k = args.get("--required")) {
    if (!parse_count(*k, 64, required) || required < 1)
      return usage_error(cmd, "--required needs a count 1..64, got '" + *k + "'", usage);
    if (!pubs && !config)
      return usage_error(cmd, "--required needs the approvers' public keys (--pub or --config)", usage);
  }
  if (!pubs && !config) return kExitOk;
  if (pubs && pubs->empty()) return usage_error(cmd, "--pub has an empty file name", usage);
  if (config && config->empty()) return usage_error(cmd, "--config needs a file name", usage);
  if (!crypto_ready()) {
    std::fprintf(stderr, "tailor %s: libsodium failed to initialise\n", cmd);
    return kExitIo;
  }
  std::vector<Approver> approvers;
  std::string count_from = "--required";
  uint32_t k = 1;
  if (config) {
    SigningConfig sc;
    ErrorList errors;
    if (!read_signing_config(*config, sc, errors)) {
      for (const std::string& m : errors.messages()) std::fprintf(stderr, "tailor %s: %s\n", cmd, m.c_str());
      return errors.has_io_error() ? kExitIo : kExitInput;
    }
    approvers = std::move(sc.approvers);
    config_tenant = sc.tenant;
    k = sc.required;
    count_from = *config + " signing.required";
  }
  if (pubs) {
    if (config)
      std::fprintf(stderr, "tailor %s: --pub replaces the approvers of %s signing\n", cmd, config->c_str());
    approvers.clear();
    std::string why;
    bool io = false;
    if (!read_public_key_files(*pubs, approvers, why, io)) {
      if (why.rfind("--pub", 0) == 0) return usage_error(cmd, why, usage);
      std::fprintf(stderr, "tailor %s: %s\n", cmd, why.c_str());
      return io ? kExitIo : kExitInput;
    }
  }
  if (required) {
    k = static_cast<uint32_t>(required);
    count_from = "--required";
  }
  for (const Approver& a : approvers) policy.keys.push_back(a.key);
  policy.required = k;
  if (policy.required > policy.keys.size())
    return usage_error(cmd,
                       count_from + " " + std::to_string(policy.required) + " is more than the " +
                           std::to_string(policy.keys.size()) + " distinct public key" +
                           (policy.keys.size() == 1 ? "" : "s") + " given" + (pubs ? " with --pub" : ""),
                       usage);
  return kExitOk;
}

// --lock-timeout / --force-unlock. Returns an exit code (kExitOk when fine).
int lock_options(const char* cmd, const char* usage, const Args& args, LockOptions& out) {
  out.force = args.has("--force-unlock");
  if (auto t = args.get("--lock-timeout")) {
    uint64_t s = 0;
    if (!parse_count(*t, 86400, s) || s < 60)
      return usage_error(cmd, "--lock-timeout needs seconds 60..86400, got '" + *t + "'", usage);
    out.timeout_s = static_cast<int64_t>(s);
  }
  return kExitOk;
}

// A progress bar per phase ("upload", "verify", "profiles") while the operation runs.
struct ProgressBars {
  std::unique_ptr<Progress> bar;
  std::string phase;
  PushProgressFn fn() {
    return [this](const char* p, uint64_t done, uint64_t total) {
      if (phase != p) {
        if (bar) bar->finish();
        phase = p;
        bar = std::make_unique<Progress>(std::string("tailor ") + p, total,
                                         phase == "profiles" ? Progress::Unit::kCount : Progress::Unit::kBytes);
      }
      bar->set(done);
    };
  }
  void finish() {
    if (bar) bar->finish();
  }
};

std::string now_rfc3339() { return format_rfc3339(static_cast<int64_t>(std::time(nullptr))); }

std::string list_text(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : " ") + x;
  return s.empty() ? "none" : s;
}

ojson report_json(const PublishReport& r, const std::string& target, int64_t ms) {
  ojson j = {{"ok", true},
             {"target", target},
             {"tenant", r.tenant},
             {"version", r.version},
             {"sha256", r.sha256},
             {"bytes", r.bytes},
             {"chunks", r.chunks},
             {"approvers", r.approvers},
             {"required_signatures", r.required_signatures},
             {"previous_live", r.previous_live.empty() ? ojson(nullptr) : ojson(r.previous_live)},
             {"kept", r.kept},
             {"removed", r.removed},
             {"profiles", r.profiles},
             {"unchanged", r.unchanged},
             {"ms", ms}};
  if (!r.warning.empty()) j["warning"] = r.warning;
  return j;
}

int fail(const char* cmd, bool json, int exit, const std::string& message) {
  if (json) std::printf("%s\n", dump_json(ojson{{"ok", false}, {"exit", exit}, {"error", message}}).c_str());
  std::fprintf(stderr, "tailor %s: %s\n", cmd, message.c_str());
  return exit;
}

}  // namespace

int cmd_publish(int argc, char** argv) {
  const int64_t start = now_ns();
  Args args;
  std::string err;
  std::vector<Flag> flags = kTargetFlags;
  flags.insert(flags.end(), {{"--sig", true}, {"--version", true}, {"--keep", true}, {"--profiles", true},
                             {"--chunk-bytes", true}, {"--no-readback", false}});
  if (!parse_args(argc, argv, flags, args, err)) return usage_error("publish", err, kPublishUsage);
  if (args.help) {
    std::fputs(kPublishUsage, stdout);
    return kExitOk;
  }
  if (args.positional.size() != 1)
    return usage_error("publish", args.positional.empty() ? "SNAPSHOT is required" : "one SNAPSHOT at a time",
                       kPublishUsage);
  const bool json = args.has("--json");
  PublishOptions opts;
  if (auto k = args.get("--keep")) {
    uint64_t keep = 0;
    if (!parse_count(*k, kMaxKeep, keep))
      return usage_error("publish", "--keep needs a count 0.." + std::to_string(kMaxKeep) + ", got '" + *k + "'",
                         kPublishUsage);
    opts.keep = static_cast<uint32_t>(keep);
  }
  if (auto c = args.get("--chunk-bytes"); c && (!parse_count(*c, kMaxChunkBytes, opts.chunk_bytes) || opts.chunk_bytes < 1))
    return usage_error("publish", "--chunk-bytes needs 1.." + std::to_string(kMaxChunkBytes) + ", got '" + *c + "'",
                       kPublishUsage);
  opts.readback = !args.has("--no-readback");
  LockOptions lock_opts;
  if (int rc = lock_options("publish", kPublishUsage, args, lock_opts); rc != kExitOk) return rc;
  SigningPolicy policy;
  std::string config_tenant;
  if (int rc = signing_policy("publish", kPublishUsage, args, policy, config_tenant); rc != kExitOk) return rc;
  std::unique_ptr<Store> store = open_target(args, err);
  if (!store) return usage_error("publish", err, kPublishUsage);

  const std::string snap_path = args.positional[0];
  std::vector<uint8_t> bytes;
  tailor::Status st = read_file(snap_path, tailor::SnapshotLimits{}.max_bytes, bytes);
  if (!st.ok()) return fail("publish", json, st.code() == tailor::Code::kIoError ? kExitIo : kExitSnapshot, st.message());
  auto snap = tailor::Snapshot::open(bytes);
  if (!snap.ok())
    return fail("publish", json, kExitSnapshot, snap_path + ": not a valid snapshot: " + snap.status().message());
  const std::string tenant(tailor::sv(snap.value().root().tenant()->id()));
  opts.version = args.get("--version").value_or(std::string(tailor::sv(snap.value().root().version())));
  if (!valid_version_name(opts.version))
    return usage_error("publish",
                       "version '" + opts.version +
                           "' cannot name a published version (1-64 of A-Z a-z 0-9 . _ -, not starting with '.'): "
                           "pass --version",
                       kPublishUsage);
  if (!valid_version_name(tenant))
    return fail("publish", json, kExitInput, "tenant id '" + tenant + "' cannot be used in keys and paths");
  if (!config_tenant.empty() && config_tenant != tenant)
    return fail("publish", json, kExitInput,
                snap_path + " is a snapshot of tenant " + tenant + " but " + *args.get("--config") +
                    " is the config of tenant " + config_tenant + ": its signing policy does not apply");

  // The envelope: --sig, or SNAPSHOT.sig.json when present.
  ojson envelope = nullptr;
  const std::string sig_path = args.get("--sig").value_or(snap_path + ".sig.json");
  std::error_code ec;
  if (args.has("--sig") || fs::exists(sig_path, ec)) {
    std::string text;
    st = read_text_file(sig_path, 1 << 20, text);
    if (!st.ok()) return fail("publish", json, kExitIo, st.message());
    std::string why;
    Envelope env;
    if (!parse_envelope(text, env, why)) return fail("publish", json, kExitInput, sig_path + ": " + why);
    envelope = ojson::parse(serialize_envelope(env));
  }

  if (auto dir = args.get("--profiles")) {
    if (!fs::is_directory(*dir, ec)) return fail("publish", json, kExitIo, *dir + ": not a directory");
    for (auto it = fs::directory_iterator(*dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (it->path().extension() != ".tprof") continue;
      const std::string hash = name.substr(0, name.size() - 6);
      bool hex32 = hash.size() == 32;
      for (char c : hash) hex32 = hex32 && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
      if (!hex32) return fail("publish", json, kExitInput, it->path().string() + ": not a <user_hash>.tprof file name");
      opts.profiles.emplace_back(hash, it->path().string());
    }
    if (ec) return fail("publish", json, kExitIo, *dir + ": " + ec.message());
    std::sort(opts.profiles.begin(), opts.profiles.end());
  }
  opts.published_at = now_rfc3339();

  PublishLock lock;
  std::string lock_warning;
  lock_opts.operation = "publish " + opts.version;
  OpResult r = acquire_publish_lock(*store, tenant, lock_opts, lock, lock_warning);
  if (!lock_warning.empty()) std::fprintf(stderr, "tailor publish: warning: %s\n", lock_warning.c_str());
  if (!r.ok()) return fail("publish", json, r.exit, r.message);
  opts.before_switch = [&]() { return check_publish_lock(*store, lock); };
  ProgressBars bars;
  PublishReport report;
  r = publish_snapshot(*store, tenant, bytes, envelope, policy, opts, bars.fn(), report);
  bars.finish();
  release_publish_lock(*store, lock);
  if (!r.ok()) return fail("publish", json, r.exit, r.message);
  const int64_t ms = elapsed_ms(start);
  if (json) std::printf("%s\n", dump_json(report_json(report, store->describe(), ms)).c_str());
  if (!report.warning.empty()) std::fprintf(stderr, "tailor publish: warning: %s\n", report.warning.c_str());
  std::fprintf(stderr,
               "tailor publish: %s %s %s on %s (%s, %u chunk%s, sha256 %.16s, %zu approver%s%s%s); kept %s; "
               "removed %s; %lld ms\n",
               tenant.c_str(), report.version.c_str(), report.unchanged ? "already live" : "live",
               store->describe().c_str(), human_bytes(report.bytes).c_str(), report.chunks,
               report.chunks == 1 ? "" : "s", report.sha256.c_str(), report.approvers.size(),
               report.approvers.size() == 1 ? "" : "s",
               report.profiles ? (", " + std::to_string(report.profiles) + " profiles").c_str() : "",
               report.previous_live.empty() || report.unchanged ? "" : (", was " + report.previous_live).c_str(),
               list_text(report.kept).c_str(), list_text(report.removed).c_str(), static_cast<long long>(ms));
  return kExitOk;
}

int cmd_rollback(int argc, char** argv) {
  const int64_t start = now_ns();
  Args args;
  std::string err;
  std::vector<Flag> flags = kTargetFlags;
  flags.insert(flags.end(), {{"--tenant", true}, {"--version", true}, {"--list", false}});
  if (!parse_args(argc, argv, flags, args, err)) return usage_error("rollback", err, kRollbackUsage);
  if (args.help) {
    std::fputs(kRollbackUsage, stdout);
    return kExitOk;
  }
  if (!args.positional.empty())
    return usage_error("rollback", "unexpected argument '" + args.positional[0] + "'", kRollbackUsage);
  const bool json = args.has("--json");
  SigningPolicy policy;
  std::string config_tenant;
  if (int rc = signing_policy("rollback", kRollbackUsage, args, policy, config_tenant); rc != kExitOk) return rc;
  const std::string tenant = args.get("--tenant").value_or(config_tenant);
  if (tenant.empty()) return usage_error("rollback", "--tenant T is required (or --config with tenant.id)", kRollbackUsage);
  if (!config_tenant.empty() && tenant != config_tenant)
    return usage_error("rollback",
                       "--tenant " + tenant + " but " + *args.get("--config") + " is the config of tenant " + config_tenant,
                       kRollbackUsage);
  if (!valid_version_name(tenant)) return usage_error("rollback", "--tenant: '" + tenant + "' is not a tenant id", kRollbackUsage);
  const std::string version = args.get("--version").value_or("");
  if (args.has("--version") && !valid_version_name(version))
    return usage_error("rollback", "--version: '" + version + "' is not a version name", kRollbackUsage);
  if (args.has("--list") && args.has("--version"))
    return usage_error("rollback", "--list and --version do not go together", kRollbackUsage);
  std::unique_ptr<Store> store = open_target(args, err);
  if (!store) return usage_error("rollback", err, kRollbackUsage);

  if (args.has("--list")) {
    Manifest m;
    bool found = false;
    OpResult r = read_manifest(*store, tenant, m, found);
    if (!r.ok()) return fail("rollback", json, r.exit, r.message);
    if (!found) return fail("rollback", json, kExitInput, "nothing is published for tenant " + tenant + " on " + store->describe());
    auto row = [](const VersionEntry& e) {
      return ojson{{"version", e.version}, {"sha256", e.sha256}, {"bytes", e.bytes}, {"chunks", e.chunks},
                   {"approvers", e.approvers}, {"published_at", e.published_at}};
    };
    ojson prev = ojson::array();
    for (const VersionEntry& e : m.previous) prev.push_back(row(e));
    ojson j = {{"ok", true}, {"target", store->describe()}, {"tenant", tenant}, {"live", row(m.live)},
               {"required_signatures", m.required_signatures}, {"previous", prev}};
    if (json) {
      std::printf("%s\n", dump_json(j).c_str());
    } else {
      std::printf("%s on %s (requires %u approver signature%s)\n", tenant.c_str(), store->describe().c_str(),
                  m.required_signatures, m.required_signatures == 1 ? "" : "s");
      auto line = [](const char* tag, const VersionEntry& e) {
        std::printf("  %-5s %-24s %10s  sha256 %.16s  %zu approver%s  %s\n", tag, e.version.c_str(),
                    human_bytes(e.bytes).c_str(), e.sha256.c_str(), e.approvers.size(),
                    e.approvers.size() == 1 ? " " : "s", e.published_at.c_str());
      };
      line("live", m.live);
      for (const VersionEntry& e : m.previous) line("kept", e);
    }
    return kExitOk;
  }

  LockOptions lock_opts;
  if (int rc = lock_options("rollback", kRollbackUsage, args, lock_opts); rc != kExitOk) return rc;
  lock_opts.operation = "rollback" + (version.empty() ? std::string() : " to " + version);
  PublishLock lock;
  std::string lock_warning;
  OpResult r = acquire_publish_lock(*store, tenant, lock_opts, lock, lock_warning);
  if (!lock_warning.empty()) std::fprintf(stderr, "tailor rollback: warning: %s\n", lock_warning.c_str());
  if (!r.ok()) return fail("rollback", json, r.exit, r.message);
  ProgressBars bars;
  PublishReport report;
  r = rollback(*store, tenant, version, policy, bars.fn(), report, [&]() { return check_publish_lock(*store, lock); });
  bars.finish();
  release_publish_lock(*store, lock);
  if (!r.ok()) return fail("rollback", json, r.exit, r.message);
  const int64_t ms = elapsed_ms(start);
  if (json) std::printf("%s\n", dump_json(report_json(report, store->describe(), ms)).c_str());
  if (report.unchanged)
    std::fprintf(stderr, "tailor rollback: %s %s is already live on %s\n", tenant.c_str(), report.version.c_str(),
                 store->describe().c_str());
  else
    std::fprintf(stderr, "tailor rollback: %s %s live again on %s (was %s; sha256 %.16s checked); kept %s; %lld ms\n",
                 tenant.c_str(), report.version.c_str(), store->describe().c_str(), report.previous_live.c_str(),
                 report.sha256.c_str(), list_text(report.kept).c_str(), static_cast<long long>(ms));
  return kExitOk;
}
