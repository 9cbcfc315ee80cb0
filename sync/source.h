// Sources: CSV, NDJSON or JSON files read as a stream of Records with their locations.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "errors.h"
#include "record.h"

namespace tailor::sync {

enum class Format { kCsv, kNdjson, kJson };

// Largest source file accepted.
constexpr uint64_t kMaxSourceBytes = uint64_t(2) << 30;  // 2 GiB

struct SourceSpec {
  std::string name;            // as written in the config, used in messages ("items.csv")
  std::filesystem::path file;  // resolved path
  Format format = Format::kCsv;
};

// The format implied by a file name's extension (.csv, .ndjson/.jsonl, .json).
std::optional<Format> format_from_extension(std::string_view path);
// "csv" / "ndjson" / "json".
std::optional<Format> format_from_name(std::string_view name);

// Called for every record; return false to stop reading.
using RecordVisitor = std::function<bool(const Record&)>;

// Reads every record of `source` and hands it to `visit`. Malformed rows and I/O problems are
// added to `errors` with their location; reading stops early once `errors` is full.
// Returns the number of records visited.
uint64_t read_records(const SourceSpec& source, ErrorList& errors, const RecordVisitor& visit);

}  // namespace tailor::sync
