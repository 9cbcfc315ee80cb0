// Categories and brands: read from their sources, parents resolved, cycles reported by name.
#pragma once
#include <optional>

#include "catalog.h"

namespace tailor::sync {

class Record;

// Reads a record's required `id` (at most kMaxIdBytes); false (error recorded) when absent or bad.
bool read_record_id(const Record& r, std::string& id, ErrorList& errors);

// Reads the categories source into out.categories / out.category_index and resolves parents.
void load_categories(const SourceSpec& source, Catalog& out, ErrorList& errors, const ProgressFn& progress = {});
// Reads the brands source into out.brands / out.brand_index.
void load_brands(const SourceSpec& source, Catalog& out, ErrorList& errors, const ProgressFn& progress = {});

// Walks every parent chain; for each cycle adds "<where>: category cycle: a -> b -> a".
// `where[i]` names category i's record. Returns false when a cycle exists.
bool check_category_cycles(const std::vector<CategoryRow>& categories, const std::vector<std::string>& where,
                           ErrorList& errors);

}  // namespace tailor::sync
