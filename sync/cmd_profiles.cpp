// `tailor profiles`: snapshot + events -> one profile file per visitor, plus the state that lets
// the next run apply only new events (--previous). Sharded by hashed user id (--shard i/N).
#include <unistd.h>

#include <cstdio>

#include "args.h"
#include "cli_util.h"
#include "config_reader.h"
#include "commands.h"
#include "file_io.h"
#include "json_parse.h"
#include "profile_builder.h"
#include "progress.h"
#include "record.h"
#include "timestamp.h"

using namespace tailor::sync;

const char* const kProfilesUsage =
    "usage: tailor profiles --snapshot FILE (--events FILE | --events-source SPEC) --out DIR [--now T]\n"
    "                       [--traits SPEC] [--half-life-days D] [--previous DIR] [--shard I/N]\n"
    "                       [--spill-dir DIR] [--json]\n"
    "\n"
    "Aggregates visitor events (NDJSON: user, type view|cart|purchase|search|consent|identify,\n"
    "item, query, ts, purposes, account, segments) into one profile per visitor: decayed\n"
    "category, brand and attribute affinities, an embedding (weighted mean of the items'\n"
    "vectors), recent views and purchases, consent and identity. Each is written atomically to\n"
    "DIR/<user_hash>.tprof, where user_hash is the first 32 hex characters of\n"
    "sha256(tenant + \":\" + user); the raw user id is never written (not even to temporary\n"
    "files). DIR/tailor-state/ keeps the decayed sums so a later run can continue from them.\n"
    "Memory is bounded: events are spilled to 256 partitions by user hash and processed one\n"
    "partition at a time.\n"
    "\n"
    "  --snapshot FILE       snapshot the events refer to (built by `tailor build`)\n"
    "  --events FILE         events, one JSON object per line (\"-\" reads stdin)\n"
    "  --events-source SPEC  events from a source instead (docs/sources.md#events): a PostgreSQL\n"
    "                        table or query or a CSV/NDJSON/JSON file, with an optional map.\n"
    "                        SPEC is FILE.json#KEY (the source object under KEY, e.g.\n"
    "                        tailor.json#events), FILE.json (the whole file is the source\n"
    "                        object) or the object itself ('{\"postgres\": {...}, \"map\": {...}}')\n"
    "  --traits SPEC         profile traits (docs/profiles.md#traits): rows {user, <name>...} for\n"
    "                        the snapshot's attributes on profiles, from a file or PostgreSQL\n"
    "                        source, SPEC as for --events-source (e.g. tailor.json#profile_traits);\n"
    "                        the user id is hashed like events'; later rows win, null clears.\n"
    "                        With --previous, --traits alone (no events) updates traits only\n"
    "  --out DIR             output directory (created if missing)\n"
    "  --now T               decay reference, unix seconds or RFC 3339 (default: newest event,\n"
    "                        and never earlier than the previous build's)\n"
    "  --half-life-days D    an event's weight halves every D days (default 30)\n"
    "  --previous DIR        incremental: start from the state of an earlier run's --out DIR and\n"
    "                        apply only the events in --events (DIR may be --out itself: then\n"
    "                        only profiles of visitors with new events are rewritten)\n"
    "  --shard I/N           only visitors whose hashed id falls in shard I of N (0 <= I < N);\n"
    "                        shards are independent jobs and may share --out\n"
    "  --spill-dir DIR       temporary partition files (default: DIR/tailor-state/)\n"
    "  --json                print a JSON summary on stdout\n"
    "\n"
    "Progress is shown on stderr when it is a terminal. Exit codes: 0 written, 1 malformed\n"
    "events, traits rows or unusable previous state (or a bad source spec), 2 usage, 3 invalid snapshot,\n"
    "4 file not readable/writable or the events database unreachable.\n";

namespace {

bool parse_shard(const std::string& s, uint32_t& index, uint32_t& count) {
  size_t slash = s.find('/');
  if (slash == std::string::npos) return false;
  double i = 0, n = 0;
  if (!parse_double(s.substr(0, slash), i) || !parse_double(s.substr(slash + 1), n)) return false;
  if (i != std::floor(i) || n != std::floor(n) || n < 1 || n > 65536 || i < 0 || i >= n) return false;
  index = static_cast<uint32_t>(i);
  count = static_cast<uint32_t>(n);
  return true;
}

// --events-source / --traits SPEC -> `out`; returns an exit code (kExitOk when `out` is usable).
// `option` names the flag in messages, `what` the source ("events", "profile_traits").
int source_option(const std::string& spec, const std::string& option, const std::string& what, SourceSpec& out) {
  std::string text = spec, file = option, key;
  std::filesystem::path base = std::filesystem::current_path();
  if (spec.empty() || spec.front() != '{') {
    size_t hash = spec.rfind('#');
    std::string path = spec.substr(0, hash);
    if (hash != std::string::npos) key = spec.substr(hash + 1);
    if (path.empty() || (hash != std::string::npos && key.empty()))
      return usage_error("profiles", option + ": expected FILE.json, FILE.json#KEY or a JSON object, got '" +
                                         spec + "'", kProfilesUsage);
    tailor::Status st = read_text_file(path, 1 << 20, text);
    if (!st.ok()) {
      std::fprintf(stderr, "tailor profiles: %s: %s\n", option.c_str(), st.message().c_str());
      return st.code() == tailor::Code::kIoError ? kExitIo : kExitInput;
    }
    file = path;
    base = std::filesystem::absolute(std::filesystem::path(path)).parent_path();
  }
  nlohmann::json root;
  std::string why;
  if (!parse_json(text, root, why)) {
    std::fprintf(stderr, "tailor profiles: %s: invalid JSON at %s\n", file.c_str(), why.c_str());
    return kExitInput;
  }
  ErrorList errors;
  ConfigReader r(file, base, errors);
  std::optional<SourceSpec> source;
  if (key.empty()) {
    nlohmann::json wrapper = nlohmann::json::object();
    wrapper[what] = std::move(root);
    source = r.source(wrapper, what, "", true);
  } else if (!root.is_object() || !root.contains(key)) {
    r.error(key, "no such key in " + file + " (the " + what + " source)");
  } else {
    source = r.source(root, key, "", true);
  }
  if (!source || !errors.empty()) {
    print_errors("profiles", errors);
    return kExitInput;
  }
  out = std::move(*source);
  return kExitOk;
}

bool same_dir(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code ec;
  return std::filesystem::exists(a, ec) && std::filesystem::exists(b, ec) && std::filesystem::equivalent(a, b, ec);
}

}  // namespace

int cmd_profiles(int argc, char** argv) {
  Args args;
  std::string err;
  if (!parse_args(argc, argv,
                  {{"--snapshot", true}, {"--events", true}, {"--events-source", true}, {"--out", true}, {"--now", true},
                   {"--half-life-days", true}, {"--previous", true}, {"--shard", true}, {"--spill-dir", true},
                   {"--traits", true}, {"--json", false}},
                  args, err))
    return usage_error("profiles", err, kProfilesUsage);
  if (args.help) {
    std::fputs(kProfilesUsage, stdout);
    return kExitOk;
  }
  if (!args.positional.empty())
    return usage_error("profiles", "unexpected argument '" + args.positional[0] + "'", kProfilesUsage);
  for (const char* f : {"--snapshot", "--out"})
    if (!args.has(f)) return usage_error("profiles", std::string(f) + " is required", kProfilesUsage);
  if (args.has("--events") && args.has("--events-source"))
    return usage_error("profiles", "give one of --events FILE and --events-source SPEC, not both", kProfilesUsage);
  if (!args.has("--events") && !args.has("--events-source") && !args.has("--traits"))
    return usage_error("profiles", "give one of --events FILE and --events-source SPEC (or only --traits SPEC)",
                       kProfilesUsage);
  const bool json = args.has("--json");

  ProfileOptions opts;
  if (auto e = args.get("--events")) opts.events_path = *e;
  if (auto spec = args.get("--events-source")) {
    SourceSpec source;
    if (int rc = source_option(*spec, "--events-source", "events", source); rc != kExitOk) return rc;
    opts.events_source = std::move(source);
  }
  if (auto spec = args.get("--traits")) {
    SourceSpec source;
    if (int rc = source_option(*spec, "--traits", "profile_traits", source); rc != kExitOk) return rc;
    opts.traits_source = std::move(source);
  }
  if (auto t = args.get("--now")) {
    std::string why;
    opts.now = parse_timestamp(*t, why);
    if (!opts.now) return usage_error("profiles", "--now: " + why, kProfilesUsage);
  }
  if (auto h = args.get("--half-life-days")) {
    if (!parse_double(*h, opts.half_life_days) || !(opts.half_life_days > 0))
      return usage_error("profiles", "--half-life-days must be a positive number", kProfilesUsage);
  }
  if (auto s = args.get("--shard")) {
    if (!parse_shard(*s, opts.shard_index, opts.shard_count))
      return usage_error("profiles", "--shard must be I/N with whole numbers 0 <= I < N <= 65536, e.g. 0/4",
                         kProfilesUsage);
  }
  const std::filesystem::path dir = *args.get("--out");
  if (auto p = args.get("--previous")) opts.previous = *p;
  if (auto s = args.get("--spill-dir")) opts.spill_dir = *s;
  opts.state_out = dir;

  const int64_t start = now_ns();
  const std::string snapshot_path = *args.get("--snapshot");
  std::vector<uint8_t> bytes;
  tailor::Status st = read_file(snapshot_path, tailor::SnapshotLimits{}.max_bytes, bytes);
  if (!st.ok()) {
    std::fprintf(stderr, "tailor profiles: %s\n", st.message().c_str());
    return st.code() == tailor::Code::kIoError ? kExitIo : kExitSnapshot;
  }
  auto snap = tailor::Snapshot::open(bytes);
  if (!snap.ok()) {
    std::fprintf(stderr, "tailor profiles: %s: %s\n", snapshot_path.c_str(), snap.status().message().c_str());
    return kExitSnapshot;
  }

  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "tailor profiles: %s: cannot create directory: %s\n", dir.c_str(), ec.message().c_str());
    return kExitIo;
  }
  // In place: profiles of visitors without new events are already current in DIR.
  opts.emit_unchanged = !(opts.previous && same_dir(*opts.previous, dir));

  ErrorList errors;
  ProfileStats stats;
  auto sink = [&](const std::string& hash, std::span<const uint8_t> profile) {
    return write_file_atomic(dir / (hash + ".tprof"), profile, /*durable=*/false);
  };
  if (!build_profiles(*snap, opts, sink, stats, errors)) {
    print_errors("profiles", errors);
    if (json) {
      nlohmann::ordered_json j = {{"ok", false}, {"errors", errors.messages()}};
      std::printf("%s\n", dump_json(j).c_str());
    }
    return errors.has_io_error() ? kExitIo : kExitInput;
  }
  const int64_t ms = elapsed_ms(start);
  if (json) {
    nlohmann::ordered_json j = {{"ok", true},
                                {"profiles", stats.profiles},
                                {"written", stats.written},
                                {"previous_profiles", stats.previous_profiles},
                                {"events", stats.events},
                                {"skipped", stats.skipped},
                                {"searches_matched", stats.searches_matched},
                                {"lines", stats.lines},
                                {"traits", stats.traits},
                                {"trait_rows", stats.trait_rows},
                                {"shard", {opts.shard_index, opts.shard_count}},
                                {"now", stats.now},
                                {"incremental", opts.previous.has_value()},
                                {"bytes", {{"events", stats.events_bytes},
                                           {"spill", stats.spill_bytes},
                                           {"profiles", stats.profile_bytes},
                                           {"state", stats.state_bytes}}},
                                {"ms", ms}};
    std::printf("%s\n", dump_json(j).c_str());
  } else {
    std::fprintf(stderr,
                 "tailor profiles: %llu profiles (%llu written%s) in %s, shard %u/%u: %llu events, %llu skipped "
                 "(unknown items), %s read, %s of profiles, now %s, %lld ms\n",
                 static_cast<unsigned long long>(stats.profiles), static_cast<unsigned long long>(stats.written),
                 opts.previous ? ", incremental" : "", dir.c_str(), opts.shard_index, opts.shard_count,
                 static_cast<unsigned long long>(stats.events), static_cast<unsigned long long>(stats.skipped),
                 human_bytes(stats.events_bytes).c_str(), human_bytes(stats.profile_bytes).c_str(),
                 format_rfc3339(stats.now).c_str(), static_cast<long long>(ms));
  }
  return kExitOk;
}
