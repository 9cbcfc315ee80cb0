// Inventory: a source of {id, stock} records merged into the catalog after the items are read
// (docs/sources.md#inventory).
#pragma once
#include <nlohmann/json.hpp>

#include "catalog.h"
#include "config.h"
#include "config_reader.h"
#include "errors.h"

namespace tailor::sync {

// Reads the top-level "inventory" source (with its "unknown_items": "error" | "ignore") into `c`.
void parse_inventory(ConfigReader& r, const nlohmann::json& root, Config& c);

// Sets the stock of every item the inventory lists. Unknown ids are errors unless the config
// says to ignore them; an id listed twice is an error.
// Counts the stock values set in out.inventory_rows; `progress` sees "inventory".
void merge_inventory(const Config& config, Catalog& out, ErrorList& errors, const ProgressFn& progress = {});

}  // namespace tailor::sync
