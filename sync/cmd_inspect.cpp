// `tailor inspect`: verify a snapshot and describe it as JSON.
#include <charconv>
#include <cstdio>

#include "args.h"
#include "cli_util.h"
#include "commands.h"
#include "file_io.h"
#include "inspect.h"
#include "tailor/snapshot.h"

using namespace tailor::sync;

const char* const kInspectUsage =
    "usage: tailor inspect SNAPSHOT [--items N]\n"
    "\n"
    "Verifies a snapshot (file identifier TSNP, FlatBuffers verifier, the engine's own checks)\n"
    "and prints a JSON summary on stdout: schema version, feature level (min_engine) and the\n"
    "features that need it, version label, built_at,\n"
    "tenant, sha256, bytes, counts, attributes, embedding, strategies with their terms, slots,\n"
    "rules and deny lists.\n"
    "\n"
    "  --items N   also list the first N items (id, title, category, brand, price)\n"
    "\n"
    "Exit codes: 0 valid, 2 usage, 3 invalid snapshot (wrong identifier, corrupt, truncated),\n"
    "4 file not readable.\n";

int cmd_inspect(int argc, char** argv) {
  Args args;
  std::string err;
  if (!parse_args(argc, argv, {{"--items", true}}, args, err)) return usage_error("inspect", err, kInspectUsage);
  if (args.help) {
    std::fputs(kInspectUsage, stdout);
    return kExitOk;
  }
  if (args.positional.size() != 1)
    return usage_error("inspect", args.positional.empty() ? "SNAPSHOT is required" : "one SNAPSHOT at a time",
                       kInspectUsage);
  size_t items = 0;
  if (auto n = args.get("--items")) {
    auto [end, ec] = std::from_chars(n->data(), n->data() + n->size(), items);
    if (n->empty() || ec != std::errc() || end != n->data() + n->size())
      return usage_error("inspect", "--items needs a count, got '" + *n + "'", kInspectUsage);
  }
  const std::string path = args.positional[0];
  std::vector<uint8_t> bytes;
  tailor::Status st = read_file(path, tailor::SnapshotLimits{}.max_bytes, bytes);
  if (!st.ok()) {
    std::fprintf(stderr, "tailor inspect: %s\n", st.message().c_str());
    return st.code() == tailor::Code::kIoError ? kExitIo : kExitSnapshot;
  }
  auto out = inspect_snapshot(bytes, items);
  if (!out.ok()) {
    std::fprintf(stderr, "tailor inspect: %s: %s\n", path.c_str(), out.status().message().c_str());
    return kExitSnapshot;
  }
  std::fwrite(out->data(), 1, out->size(), stdout);
  std::fputc('\n', stdout);
  return kExitOk;
}
