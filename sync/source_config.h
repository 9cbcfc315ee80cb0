// The parts of a source declaration beyond {"path", "format"}: {"postgres": {...}} and {"map": {...}}
// (docs/sources.md), checked when the config is read so a bad source fails before anything is built.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "config_reader.h"
#include "source.h"

namespace tailor::sync {

// Reads `pg` (the value of "postgres" at `path`) into `out.postgres` and names the source
// ("postgres:catalog", "postgres:items.query"). Checks that the DSN's environment variable is set.
bool read_postgres_source(ConfigReader& r, const nlohmann::json& pg, const std::string& path, SourceSpec& out);
// Reads `map` (the value of "map" at `path`).
bool read_mapping(ConfigReader& r, const nlohmann::json& map, const std::string& path, Mapping& out);

}  // namespace tailor::sync
