// build_snapshot: `tailor build` without the command line — config + sources in, TSNP bytes out.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "catalog.h"
#include "errors.h"

namespace tailor::sync {

struct BuildOptions {
  std::filesystem::path config_path;
  std::optional<int64_t> built_at;     // overrides the config's built_at (--built-at)
  std::optional<std::string> version;  // overrides the config's version (--version)
  ProgressFn progress;                 // optional
};

struct BuiltSnapshot {
  std::vector<uint8_t> bytes;
  uint32_t items = 0;
  // What else the snapshot holds, for the build summary: categories and brands (the sources' and
  // those items named), segments (tailor.json's and segments_source's), B2B accounts, price lists
  // and their price entries, and the stock values the inventory source set.
  uint32_t categories = 0, brands = 0, segments = 0, accounts = 0, price_lists = 0;
  uint64_t prices = 0, inventory = 0;
  std::string version;
  int64_t built_at = 0;
  std::string sha256;  // lower-case hex of bytes
};

// Reads, checks and builds. On any problem returns false with every message (up to the cap) in
// `errors`; nothing is built then. built_at: options, then the config, then SOURCE_DATE_EPOCH,
// then the current time. version: options, then the config, then built_at as YYYYMMDDTHHMMSSZ.
bool build_snapshot(const BuildOptions& options, BuiltSnapshot& out, ErrorList& errors);

}  // namespace tailor::sync
