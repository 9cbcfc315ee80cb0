// `tailor build`: tenant config + sources -> snapshot file.
#include <cstdio>
#include <memory>
#include <string>

#include "args.h"
#include "cli_util.h"
#include "commands.h"
#include "file_io.h"
#include "json_parse.h"
#include "progress.h"
#include "snapshot_builder.h"
#include "timestamp.h"

using namespace tailor::sync;

const char* const kBuildUsage =
    "usage: tailor build --config FILE --out FILE [--built-at T] [--version V] [--json]\n"
    "\n"
    "Reads a tenant config (docs/config.md) and the sources it names, checks everything and\n"
    "writes one snapshot. Every problem is reported with its place (file:line, file[#index] or\n"
    "config path), up to 50; when there is any, nothing is written.\n"
    "\n"
    "  --config FILE   tenant config (tailor.json); source paths are relative to it\n"
    "  --out FILE      snapshot to write (.tsnap), replaced atomically\n"
    "  --built-at T    build time, unix seconds or RFC 3339 (default: config built_at,\n"
    "                  then SOURCE_DATE_EPOCH, then now)\n"
    "  --version V     snapshot version label (default: config version, then built_at as\n"
    "                  YYYYMMDDTHHMMSSZ)\n"
    "  --json          print {\"ok\":true,\"out\",\"items\",\"categories\",\"brands\",\"segments\",\"accounts\",\n"
    "                  \"price_lists\",\"prices\",\"inventory\",\"bytes\",\"sha256\",\"version\",\"built_at\",\"ms\"}\n"
    "                  on stdout ({\"ok\":false,\"errors\":[...]} on failure)\n"
    "\n"
    "Sources are files or PostgreSQL tables/queries, each with an optional map (docs/sources.md);\n"
    "a PostgreSQL connection string is read from the environment variable the config names.\n"
    "\n"
    "On a terminal, stderr shows progress (records read per source: segments, categories, brands,\n"
    "items, inventory, accounts, price lists, site overrides); a summary line closes the run\n"
    "(items and the other sections' counts, bytes, version, digest, time).\n"
    "\n"
    "Exit codes: 0 built, 1 invalid config or sources (including a failing query), 2 usage,\n"
    "4 file not readable/writable or database unreachable.\n";

namespace {

// "3000 items, 26 categories, 12 brands, 2 segments" (+ accounts, price lists, inventory when there are any).
std::string build_counts(const BuiltSnapshot& s) {
  auto n = [](uint64_t k, const char* one, const char* many) { return std::to_string(k) + " " + (k == 1 ? one : many); };
  std::string out = n(s.items, "item", "items") + ", " + n(s.categories, "category", "categories") + ", " +
                    n(s.brands, "brand", "brands");
  if (s.segments) out += ", " + n(s.segments, "segment", "segments");
  if (s.accounts) out += ", " + n(s.accounts, "account", "accounts");
  if (s.price_lists)
    out += ", " + n(s.price_lists, "price list", "price lists") + " (" + n(s.prices, "price", "prices") + ")";
  if (s.inventory) out += ", " + n(s.inventory, "stock value", "stock values") + " from the inventory";
  return out;
}

}  // namespace

int cmd_build(int argc, char** argv) {
  Args args;
  std::string err;
  if (!parse_args(argc, argv,
                  {{"--config", true}, {"--out", true}, {"--built-at", true}, {"--version", true}, {"--json", false}},
                  args, err))
    return usage_error("build", err, kBuildUsage);
  if (args.help) {
    std::fputs(kBuildUsage, stdout);
    return kExitOk;
  }
  if (!args.positional.empty()) return usage_error("build", "unexpected argument '" + args.positional[0] + "'", kBuildUsage);
  if (!args.has("--config")) return usage_error("build", "--config is required", kBuildUsage);
  if (!args.has("--out")) return usage_error("build", "--out is required", kBuildUsage);
  const bool json = args.has("--json");

  BuildOptions opts;
  opts.config_path = *args.get("--config");
  if (auto t = args.get("--built-at")) {
    std::string why;
    opts.built_at = parse_timestamp(*t, why);
    if (!opts.built_at) return usage_error("build", "--built-at: " + why, kBuildUsage);
  }
  if (auto v = args.get("--version")) {
    if (v->empty()) return usage_error("build", "--version must not be empty", kBuildUsage);
    opts.version = *v;
  }
  // A progress line on stderr while sources are read (only on a terminal): one per stage.
  std::unique_ptr<Progress> bar;
  std::string stage_now;
  if (stderr_is_tty())
    opts.progress = [&](std::string_view stage, uint64_t n) {
      if (!bar || stage != stage_now) {
        stage_now = std::string(stage);
        bar.reset();
        bar = std::make_unique<Progress>("build: " + stage_now, 0, Progress::Unit::kCount);
        bar->set_note("records");
      }
      bar->set(n);
    };

  const int64_t start = now_ns();
  ErrorList errors;
  BuiltSnapshot snap;
  bool ok = build_snapshot(opts, snap, errors);
  bar.reset();  // erases the progress line
  const std::string out = *args.get("--out");
  if (ok) {
    tailor::Status st = write_file_atomic(out, snap.bytes);
    if (!st.ok()) {
      errors.add_io(st.message());
      ok = false;
    }
  }
  if (!ok) {
    print_errors("build", errors);
    if (json) {
      nlohmann::ordered_json j = {{"ok", false}, {"errors", errors.messages()}};
      std::printf("%s\n", dump_json(j).c_str());
    }
    return errors.has_io_error() ? kExitIo : kExitInput;
  }
  if (json) {
    nlohmann::ordered_json j = {{"ok", true},
                                {"out", out},
                                {"items", snap.items},
                                {"categories", snap.categories},
                                {"brands", snap.brands},
                                {"segments", snap.segments},
                                {"accounts", snap.accounts},
                                {"price_lists", snap.price_lists},
                                {"prices", snap.prices},
                                {"inventory", snap.inventory},
                                {"bytes", snap.bytes.size()},
                                {"sha256", snap.sha256},
                                {"version", snap.version},
                                {"built_at", snap.built_at},
                                {"ms", elapsed_ms(start)}};
    std::printf("%s\n", dump_json(j).c_str());
  } else {
    std::fprintf(stderr, "tailor build: wrote %s: %s, %zu bytes, version %s, sha256 %.16s, %lld ms\n", out.c_str(),
                 build_counts(snap).c_str(), snap.bytes.size(), snap.version.c_str(), snap.sha256.c_str(),
                 static_cast<long long>(elapsed_ms(start)));
  }
  return kExitOk;
}
