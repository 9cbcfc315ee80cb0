// Sources: CSV, NDJSON or JSON files, or PostgreSQL tables and queries, read as a stream of
// Records with their locations, through the source's `map` (docs/sources.md).
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <vector>

#include "errors.h"
#include "mapping.h"
#include "record.h"

namespace tailor::sync {

enum class Format { kCsv, kNdjson, kJson };

// Largest source file accepted.
constexpr uint64_t kMaxSourceBytes = uint64_t(2) << 30;  // 2 GiB

enum class SourceKind { kFile, kPostgres };

// A PostgreSQL table or query (sync/postgres_source.cpp, libpq).
struct PostgresSpec {
  std::string dsn;      // literal connection string (secrets belong in dsn_env)
  std::string dsn_env;  // environment variable holding the connection string
  std::string table;    // "name" or "schema.name"
  std::string query;    // one SELECT statement
  std::vector<std::string> order_by;  // table: ORDER BY columns (default: the first column)
};

struct SourceSpec {
  std::string name;            // as written in the config, used in messages ("items.csv", "postgres:catalog")
  std::filesystem::path file;  // resolved path
  Format format = Format::kCsv;
  SourceKind kind = SourceKind::kFile;
  PostgresSpec postgres{};     // kind == kPostgres
  Mapping map{};               // empty: records as read
};

// The format implied by a file name's extension (.csv, .ndjson/.jsonl, .json).
std::optional<Format> format_from_extension(std::string_view path);
// "csv" / "ndjson" / "json".
std::optional<Format> format_from_name(std::string_view name);

// Called for every record; return false to stop reading.
using RecordVisitor = std::function<bool(const Record&)>;
// Reports progress of long reads: stage ("items") and records read so far.
using ProgressFn = std::function<void(std::string_view stage, uint64_t records)>;

// Reads every record of `source`, applies its `map` and hands it to `visit`. Malformed rows,
// unknown mapped columns, values that do not coerce, I/O problems and database errors are added
// to `errors` with their location (an unreachable database or unreadable file with add_io);
// reading stops early once `errors` is full.
// Returns the number of records visited.
uint64_t read_records(const SourceSpec& source, ErrorList& errors, const RecordVisitor& visit);
// The same, also reporting to `progress` (when set) as `stage` every 10,000 records and once at
// the end, counting on from `before` (several sources, such as price lists, share one stage).
uint64_t read_records(const SourceSpec& source, ErrorList& errors, const RecordVisitor& visit,
                      const ProgressFn& progress, std::string_view stage, uint64_t before = 0);

}  // namespace tailor::sync
