// `tailor diff`: what changed between two snapshots (sync/diff.cpp), as text or JSON.
#include <charconv>
#include <cstdio>

#include "args.h"
#include "cli_util.h"
#include "commands.h"
#include "diff.h"
#include "file_io.h"
#include "inspect.h"
#include "json_parse.h"
#include "tailor/snapshot.h"

using namespace tailor::sync;

const char* const kDiffUsage =
    "usage: tailor diff A.tsnap B.tsnap [--json] [--limit N]\n"
    "\n"
    "Shows what changed from snapshot A (old) to B (new), matching everything by id: items added,\n"
    "removed and changed (title, category, brand, price, stock, popularity, published_at, sites,\n"
    "attribute values, embedding), and the same for tenant, sites, categories, brands, attribute\n"
    "columns, collections, strategies, slots, rules, deny lists, segments, accounts, roles, price\n"
    "lists (scope, currency, validity, entries by item and quantity tier), policies and experiments.\n"
    "The header (version label, built_at, schema, digest) is shown but is not a difference.\n"
    "\n"
    "  --json      print the report as one JSON object on stdout (docs/cli.md#tailor-diff)\n"
    "  --limit N   entries listed per section (counts are always complete); default 20, 0 = all\n"
    "\n"
    "Exit codes (like diff(1)): 0 no differences, 1 differences, 2 usage, 3 invalid snapshot,\n"
    "4 file not readable.\n";

namespace {

// Reads and opens one snapshot; returns an exit code (kExitOk when `out` is usable).
int open_snapshot(const std::string& path, std::vector<uint8_t>& bytes, tailor::Snapshot& out) {
  tailor::Status st = read_file(path, tailor::SnapshotLimits{}.max_bytes, bytes);
  if (!st.ok()) {
    std::fprintf(stderr, "tailor diff: %s\n", st.message().c_str());
    return st.code() == tailor::Code::kIoError ? kExitIo : kExitSnapshot;
  }
  tailor::SnapshotLimits limits;
  limits.max_tables = kInspectMaxTables;
  auto opened = tailor::Snapshot::open(bytes, limits);
  if (!opened.ok()) {
    std::fprintf(stderr, "tailor diff: %s: %s\n", path.c_str(), opened.status().message().c_str());
    return kExitSnapshot;
  }
  out = std::move(*opened);
  return kExitOk;
}

}  // namespace

int cmd_diff(int argc, char** argv) {
  Args args;
  std::string err;
  if (!parse_args(argc, argv, {{"--json", false}, {"--limit", true}}, args, err))
    return usage_error("diff", err, kDiffUsage);
  if (args.help) {
    std::fputs(kDiffUsage, stdout);
    return kExitOk;
  }
  if (args.positional.size() != 2)
    return usage_error("diff", "two snapshots are needed: A (old) and B (new)", kDiffUsage);
  DiffOptions options;
  if (auto n = args.get("--limit")) {
    auto [end, ec] = std::from_chars(n->data(), n->data() + n->size(), options.limit);
    if (n->empty() || ec != std::errc() || end != n->data() + n->size())
      return usage_error("diff", "--limit needs a count (0 = all), got '" + *n + "'", kDiffUsage);
  }
  std::vector<uint8_t> bytes_a, bytes_b;
  tailor::Snapshot a, b;
  if (int rc = open_snapshot(args.positional[0], bytes_a, a); rc != kExitOk) return rc;
  if (int rc = open_snapshot(args.positional[1], bytes_b, b); rc != kExitOk) return rc;
  nlohmann::ordered_json report = diff_snapshots(a, b, options);
  const bool same = report["same"].get<bool>();
  std::string out = args.has("--json") ? dump_json(report) + "\n" : render_diff_text(report);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return same ? kExitOk : kExitInput;
}
