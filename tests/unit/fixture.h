// Test fixture: builds small snapshots and profiles in memory from plain C++ descriptions, so each
// test states the catalog it needs and can break one field to test a validation path.
#pragma once
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tailor/engine.h"
#include "tailor/profile_generated.h"
#include "tailor/snapshot_generated.h"

namespace tailor::test {

// Bytes in 8-byte aligned storage (the verifier checks alignment).
class Bytes {
 public:
  Bytes() = default;
  Bytes(const uint8_t* data, size_t size);
  std::span<const uint8_t> span() const { return {data(), size_}; }
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(words_.data()); }
  uint8_t* data() { return reinterpret_cast<uint8_t*>(words_.data()); }
  size_t size() const { return size_; }
  Bytes prefix(size_t n) const { return Bytes(data(), n); }

 private:
  std::vector<uint64_t> words_;
  size_t size_ = 0;
};

constexpr float kInf = std::numeric_limits<float>::infinity();

struct ItemSpec {
  std::string id;
  int32_t category = -1;
  int32_t brand = -1;
  float price = 10.0f;
  float popularity = 0.0f;
  int64_t published_at = 0;
  int32_t stock = -1;
  uint64_t site_mask = 0;
  std::vector<float> embedding;  // embedding_dim values, or empty (zeros)
};

struct AttrSpec {
  std::string name;
  fb::AttributeType type = fb::AttributeType::Number;
  std::vector<float> numbers;                  // Number: one per item (NaN = missing)
  std::optional<std::pair<float, float>> range;  // Number: min/max; default: over present values
  std::vector<std::string> dict;               // Categorical / TagSet
  std::vector<uint32_t> codes;                 // Categorical: one per item
  std::vector<std::vector<uint32_t>> tags;     // TagSet: per item, built into offsets + tags
  bool omit_codes = false;                     // write no codes vector at all
};

struct TermSpec {
  fb::TermKind kind = fb::TermKind::Popularity;
  float weight = 1.0f;
  int32_t attribute = -1;
  float half_life_days = 0.0f;
  bool personal = false;
  std::string name;  // empty: no name (explain uses the kind)
};

struct StrategySpec {
  std::string id;
  std::vector<TermSpec> terms;
};

struct SlotSpec {
  std::string id;
  int32_t strategy = 0;
  fb::SourceKind source = fb::SourceKind::All;
  int32_t source_index = -1;
  uint16_t size = 10;
  uint16_t max_size = 100;
  bool in_stock_only = true;
  bool exclude_purchased = true;
  bool exclude_viewed = false;
};

struct MatchSpec {
  std::vector<uint32_t> items;
  std::vector<int32_t> categories;
  std::vector<int32_t> brands;
  int32_t attribute = -1;
  std::vector<uint32_t> values;
  int32_t number_attribute = -1;
  float number_min = -kInf;
  float number_max = kInf;
};

struct RuleSpec {
  std::string id;
  fb::RuleAction action = fb::RuleAction::Boost;
  float amount = 0.0f;
  uint16_t position = 1;
  std::vector<int32_t> slots;
  std::vector<int32_t> sites;
  std::optional<MatchSpec> match;
  int64_t starts_at = 0;
  int64_t ends_at = 0;
};

struct DenySpec {
  int32_t site = -1;
  std::vector<uint32_t> items;
};

struct CategorySpec {
  std::string id;
  int32_t parent = -1;
};

struct SnapSpec {
  const char* identifier = "TSNP";
  uint32_t schema_version = 1;
  uint32_t min_engine = 1;
  std::string version = "v1";
  int64_t built_at = 1'700'000'000;
  std::string tenant = "acme";
  std::vector<std::string> sites;
  std::vector<CategorySpec> categories;
  std::vector<std::string> brands;
  std::vector<ItemSpec> items;
  std::optional<std::vector<float>> price_column;          // replaces the price column (length tests)
  std::optional<std::vector<float>> embedding_f32_column;  // replaces embedding_f32 (length tests)
  bool with_id_order = true;
  std::vector<AttrSpec> attributes;
  uint16_t embedding_dim = 0;
  bool embedding_int8 = false;  // quantise item vectors to int8 + per-item scale
  std::vector<std::pair<std::string, std::vector<uint32_t>>> collections;
  std::vector<StrategySpec> strategies;
  std::vector<SlotSpec> slots;
  std::vector<RuleSpec> rules;
  std::vector<DenySpec> deny_lists;
};

Bytes build_snapshot(const SnapSpec& spec);

// A flat catalog: items "i0".."i{n-1}" (no categories, sites or stock limits), one strategy
// "pop" (popularity, weight 1) and one slot "all" over every item. popularity[i] = pops[i].
SnapSpec flat_catalog(std::vector<float> pops);

// A catalog with every feature, built_at = B = 1'700'000'000, no rules or deny lists:
//   sites: 0 us, 1 eu     brands: 0 acme, 1 zenith
//   categories: 0 apparel, 1 footwear (parent apparel), 2 running (parent footwear), 3 books
//   attributes: 0 rating (number), 1 color (categorical: blue green red), 2 tags (eco sale trail)
//   embedding_dim 2 (f32, unit vectors)
//   idx id      cat brand price  pop  published  stock sites rating color tags       embedding
//   0   jacket  0   0     129.99 0.9  B-10d      5     all   4      red   sale       (1, 0)
//   1   boot    1   1     89.5   0.7  B-100d     0     all   3      blue  trail      (0, 1)
//   2   runner  2   0     120    0.5  B-1d       3     us    5      green eco,trail  (0.6, 0.8)
//   3   novel   3   -     15     0.3  unknown    -1    eu    NaN    -     -          (0.8, 0.6)
//   4   sock    2   1     9      0.1  B-30d      -1    all   2      blue  eco,sale   (-1, 0)
//   5   cap     0   0     20     0.6  B-5d       10    all   3.5    red   -          (0, -1)
// Strategy 0 "pop" = popularity (weight 1); slot 0 "all" = every item, size 10,
// in_stock_only false, exclude_purchased true.
SnapSpec rich_catalog();
constexpr int64_t kBuiltAt = 1'700'000'000;
constexpr int64_t kDay = 86'400;

struct AttrAffinitySpec {
  std::string attribute, value;
  float weight;
};

struct ProfileSpec {
  const char* identifier = "TPRF";
  std::string user_hash = "u-hash";
  std::vector<std::pair<std::string, float>> categories;
  std::vector<std::pair<std::string, float>> brands;
  std::vector<AttrAffinitySpec> attributes;
  std::vector<float> embedding;
  std::vector<std::string> recent_viewed;
  std::vector<std::string> recent_bought;
  std::vector<std::string> consent = {"personalization"};
  std::string tenant = "acme";  // empty: no tenant recorded
};

Bytes build_profile(const ProfileSpec& spec);

// Parsed decision JSON (discarded value when the output is not JSON).
nlohmann::json parse(std::string_view text);

// Loads `spec`, decides `request` and returns the parsed decision; fails the test on error.
nlohmann::json decide(const SnapSpec& spec, std::string_view request, const Bytes* profile = nullptr);
// Same, returning the status instead (for error paths).
Status decide_status(const SnapSpec& spec, std::string_view request, const Bytes* profile = nullptr);

// Item ids of slot `s` in rank order.
std::vector<std::string> ids(const nlohmann::json& decision, size_t s = 0);
// The item with `id` in slot `s`, or a null json.
nlohmann::json item(const nlohmann::json& decision, std::string_view id, size_t s = 0);
// explain.terms[] entry `name` of `it`, or null json.
nlohmann::json term(const nlohmann::json& it, std::string_view name);
// A numeric json value as double (NaN when it is not a number).
double num(const nlohmann::json& v);

}  // namespace tailor::test
