// Whole-file reads with a size cap, and atomic writes (temporary file + rename).
#pragma once
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "tailor/status.h"

namespace tailor::sync {

// Reads `path` into `out`. kIoError when unreadable, kLimitExceeded when over `max_bytes`.
Status read_file(const std::filesystem::path& path, uint64_t max_bytes, std::vector<uint8_t>& out);
Status read_text_file(const std::filesystem::path& path, uint64_t max_bytes, std::string& out);

// Writes `bytes` to a temporary file beside `path`, then renames it over `path`, so readers see
// the old file or the new one, never half of one. Creates missing parent directories. With
// `durable`, the data is flushed to disk (fsync) before the rename.
Status write_file_atomic(const std::filesystem::path& path, std::span<const uint8_t> bytes, bool durable = true);

}  // namespace tailor::sync
