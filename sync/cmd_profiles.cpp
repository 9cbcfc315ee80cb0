// `tailor profiles`: snapshot + events -> one profile file per visitor.
#include <cstdio>

#include "args.h"
#include "cli_util.h"
#include "commands.h"
#include "file_io.h"
#include "json_parse.h"
#include "profile_builder.h"
#include "record.h"
#include "timestamp.h"

using namespace tailor::sync;

const char* const kProfilesUsage =
    "usage: tailor profiles --snapshot FILE --events FILE --out DIR [--now T]\n"
    "                       [--half-life-days D] [--json]\n"
    "\n"
    "Aggregates visitor events (NDJSON: user, type view|cart|purchase|consent|identify, item,\n"
    "ts, purposes, account, segments) into one profile per visitor: decayed category, brand and\n"
    "attribute affinities, an embedding, recent views and purchases, consent and identity.\n"
    "Each is written atomically to DIR/<user_hash>.tprof, where user_hash is the first 32 hex\n"
    "characters of sha256(tenant + \":\" + user); the raw user id is never written.\n"
    "\n"
    "  --snapshot FILE       snapshot the events refer to (built by `tailor build`)\n"
    "  --events FILE         events, one JSON object per line\n"
    "  --out DIR             output directory (created if missing)\n"
    "  --now T               decay reference, unix seconds or RFC 3339 (default: newest event)\n"
    "  --half-life-days D    an event's weight halves every D days (default 30)\n"
    "  --json                print {\"ok\":true,\"profiles\",\"events\",\"skipped\"} on stdout\n"
    "\n"
    "Exit codes: 0 written, 1 malformed events, 2 usage, 3 invalid snapshot,\n"
    "4 file not readable/writable.\n";

int cmd_profiles(int argc, char** argv) {
  Args args;
  std::string err;
  if (!parse_args(argc, argv,
                  {{"--snapshot", true}, {"--events", true}, {"--out", true}, {"--now", true},
                   {"--half-life-days", true}, {"--json", false}},
                  args, err))
    return usage_error("profiles", err, kProfilesUsage);
  if (args.help) {
    std::fputs(kProfilesUsage, stdout);
    return kExitOk;
  }
  if (!args.positional.empty())
    return usage_error("profiles", "unexpected argument '" + args.positional[0] + "'", kProfilesUsage);
  for (const char* f : {"--snapshot", "--events", "--out"})
    if (!args.has(f)) return usage_error("profiles", std::string(f) + " is required", kProfilesUsage);
  const bool json = args.has("--json");

  ProfileOptions opts;
  opts.events_path = *args.get("--events");
  if (auto t = args.get("--now")) {
    std::string why;
    opts.now = parse_timestamp(*t, why);
    if (!opts.now) return usage_error("profiles", "--now: " + why, kProfilesUsage);
  }
  if (auto h = args.get("--half-life-days")) {
    if (!parse_double(*h, opts.half_life_days) || !(opts.half_life_days > 0))
      return usage_error("profiles", "--half-life-days must be a positive number", kProfilesUsage);
  }

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

  const std::filesystem::path dir = *args.get("--out");
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
  std::error_code ec;  // also when no visitor had events: DIR exists after a successful run
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "tailor profiles: %s: cannot create directory: %s\n", dir.c_str(), ec.message().c_str());
    return kExitIo;
  }
  if (json) {
    nlohmann::ordered_json j = {
        {"ok", true}, {"profiles", stats.profiles}, {"events", stats.events}, {"skipped", stats.skipped}};
    std::printf("%s\n", dump_json(j).c_str());
  } else {
    std::fprintf(stderr,
                 "tailor profiles: wrote %llu profiles to %s: %llu events, %llu skipped (unknown items), "
                 "now %s, %lld ms\n",
                 static_cast<unsigned long long>(stats.profiles), dir.c_str(),
                 static_cast<unsigned long long>(stats.events), static_cast<unsigned long long>(stats.skipped),
                 format_rfc3339(stats.now).c_str(), static_cast<long long>(elapsed_ms(start)));
  }
  return kExitOk;
}
