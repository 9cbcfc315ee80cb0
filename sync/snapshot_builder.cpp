#include "snapshot_builder.h"

#include <cstdlib>
#include <ctime>

#include "config.h"
#include "file_io.h"
#include "resolve.h"
#include "segments_source.h"
#include "plugin_config.h"
#include "sites.h"
#include "snapshot_writer.h"
#include "tailor/sha256.h"
#include "tailor/snapshot.h"
#include "timestamp.h"

namespace tailor::sync {
namespace {

constexpr uint64_t kMaxConfigBytes = 64 << 20;

// built_at when neither the options nor the config give one.
std::optional<int64_t> default_built_at(ErrorList& errors) {
  if (const char* env = std::getenv("SOURCE_DATE_EPOCH"); env && *env) {
    std::string why;
    if (auto t = parse_timestamp(env, why)) return t;
    errors.add("SOURCE_DATE_EPOCH: " + why);
    return std::nullopt;
  }
  return static_cast<int64_t>(std::time(nullptr));
}

}  // namespace

bool build_snapshot(const BuildOptions& options, BuiltSnapshot& out, ErrorList& errors) {
  out = BuiltSnapshot();
  const std::string name = options.config_path.string();
  std::string text;
  Status st = read_text_file(options.config_path, kMaxConfigBytes, text);
  if (!st.ok()) {
    if (st.code() == Code::kIoError) errors.add_io(st.message());
    else errors.add(st.message());
    return false;
  }
  Config config;
  std::filesystem::path base = options.config_path.parent_path();
  if (!parse_config(text, name, base.empty() ? "." : base, config, errors)) return false;
  load_segments_source(config, base.empty() ? "." : base, errors, options.progress);
  if (!errors.empty()) return false;

  std::optional<int64_t> built_at = options.built_at ? options.built_at : config.built_at;
  if (!built_at) built_at = default_built_at(errors);
  if (!built_at) return false;

  Catalog catalog;
  load_catalog(config, catalog, errors, options.progress);
  if (!errors.empty()) return false;
  Resolved resolved;
  resolve(config, catalog, resolved, errors);
  if (!errors.empty()) return false;
  std::vector<std::string> segment_ids;
  for (const SegmentConfig& g : config.segments) segment_ids.push_back(g.id);
  load_b2b(config, catalog, segment_ids, resolved.b2b, errors, options.progress);
  if (!errors.empty()) return false;
  load_site_overrides(config, catalog, resolved, errors, options.progress);
  if (!errors.empty()) return false;

  // Guard the FlatBuffers 2 GiB limit before building: embeddings dominate big catalogs.
  const uint64_t embedding_bytes =
      uint64_t(catalog.item_count()) * config.embedding.dim * (config.embedding.int8 ? 1 : 4);
  if (embedding_bytes > SnapshotLimits{}.max_bytes) {
    errors.add(name + ": embeddings alone would take " + std::to_string(embedding_bytes) +
               " bytes, over the engine's snapshot limit; use format int8 or a smaller dim");
    return false;
  }

  out.built_at = *built_at;
  out.version = options.version ? *options.version : config.version ? *config.version : format_compact_utc(*built_at);
  out.bytes = write_snapshot(config, catalog, resolved, out.version, out.built_at);
  out.items = catalog.item_count();
  out.categories = static_cast<uint32_t>(catalog.categories.size());
  out.brands = static_cast<uint32_t>(catalog.brands.size());
  out.segments = static_cast<uint32_t>(config.segments.size());
  out.accounts = static_cast<uint32_t>(resolved.b2b.accounts.size());
  out.price_lists = static_cast<uint32_t>(resolved.b2b.price_lists.size());
  for (const B2BPriceList& pl : resolved.b2b.price_lists) out.prices += pl.prices.size();
  out.inventory = catalog.inventory_rows;

  // The engine's own checks, so a snapshot that would be refused at the edge is never written.
  // Plugin uses are checked here instead, so their errors carry config paths.
  SnapshotLimits limits;
  limits.check_plugins = false;
  auto check = Snapshot::open(out.bytes, limits);
  if (!check.ok()) {
    errors.add(name + ": the built snapshot fails the engine's checks (" + check.status().message() + ")");
    out = BuiltSnapshot();
    return false;
  }
  check_plugin_uses(config, check.value(), errors);
  if (Status st = check_snapshot_plugins(check.value()); !st.ok() && errors.empty())
    errors.add(name + ": the built snapshot fails the engine's checks (" + st.message() + ")");
  if (!errors.empty()) {
    out = BuiltSnapshot();
    return false;
  }
  out.sha256 = check->hash();
  return true;
}

}  // namespace tailor::sync
