// Catalog: categories, brands and items read from the config's sources into columns, with every
// id resolved to an index. This is the data half of a snapshot; the builder adds the config half.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config.h"
#include "errors.h"

namespace tailor::sync {

constexpr size_t kMaxIdBytes = 128;
constexpr uint32_t kMaxItems = 5'000'000;  // the engine's SnapshotLimits::max_items
constexpr uint32_t kNoCode = 0xFFFFFFFFu;

struct CategoryRow {
  std::string id, name;
  int32_t parent = -1;
};

struct BrandRow {
  std::string id, name;
};

struct AttributeColumn {
  AttrType type = AttrType::kNumber;
  std::vector<float> numbers;        // kNumber: one per item, NaN when missing
  float min = 0, max = 0;            // kNumber: over present values
  std::vector<std::string> dict;     // kCategorical / kTags: sorted, unique
  std::vector<uint32_t> codes;       // kCategorical: one per item, kNoCode when missing
  std::vector<uint32_t> offsets;     // kTags: item_count + 1
  std::vector<uint32_t> tags;        // kTags: codes, sorted and unique per item

  // Index of `value` in dict, kNoCode when absent.
  uint32_t code_of(std::string_view value) const;
};

struct Catalog {
  std::vector<CategoryRow> categories;
  std::vector<BrandRow> brands;
  std::vector<std::string> ids, titles;
  std::vector<int32_t> category, brand;
  std::vector<float> price;       // NaN when unknown
  std::vector<float> popularity;  // log1p(p) / log1p(max)
  std::vector<int64_t> published_at;
  std::vector<int32_t> stock;     // -1 unknown
  std::vector<uint64_t> site_mask;
  std::vector<float> embedding;   // item_count * dim, unit length; zeros when missing
  std::vector<AttributeColumn> attributes;  // in config order
  uint64_t inventory_rows = 0;    // stock values set by the inventory source

  uint32_t item_count() const { return static_cast<uint32_t>(ids.size()); }
  int32_t find_item(const std::string& id) const;
  int32_t find_category(const std::string& id) const;
  int32_t find_brand(const std::string& id) const;

  std::unordered_map<std::string, uint32_t> item_index, category_index, brand_index;
};

// Reads the categories, brands, items and inventory sources named by `config` (progress stages
// "categories", "brands", "items", "inventory"). Every problem is added to
// `errors` with its location; `out` is only meaningful when no error was added.
void load_catalog(const Config& config, Catalog& out, ErrorList& errors, const ProgressFn& progress = {});

}  // namespace tailor::sync
