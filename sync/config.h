// Config: the tenant config (tailor.json, docs/config.md) parsed and checked for shape. References
// to data (items, categories, attribute values, ...) are kept as written with their config path
// and resolved by the snapshot builder once the sources are read.
#pragma once
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "errors.h"
#include "signing_config.h"
#include "source.h"
#include "tailor/snapshot_generated.h"

namespace tailor::sync {

// An id as written in the config and where: `where` is a path like "rules[2].match.items[0]".
struct IdRef {
  std::string id;
  std::string where;
};

struct SiteConfig {
  std::string id, name, brand, currency, locale;
};

enum class AttrType { kNumber, kCategorical, kTags };
// Which records a custom attribute is declared on (the `on` field; docs/config.md#attributes).
enum class AttrOwner { kItems, kAccounts, kProfiles };

struct AttributeConfig {
  std::string name;
  AttrType type = AttrType::kNumber;
  std::string column;  // source field; defaults to name
  std::string where;
  AttrOwner on = AttrOwner::kItems;
};

struct EmbeddingConfig {
  uint16_t dim = 0;  // 0: no embeddings
  bool int8 = false;
};

struct CollectionConfig {
  std::string id;
  std::vector<IdRef> items;
};

// One use of a plugin compiled into the engine (docs/plugins.md): a scorer term, a slot filter or
// a slot stage. Params are sorted by key (JSON object order); parsed in plugin_config.cpp.
struct PluginParamConfig {
  std::string key;
  bool is_text = false;
  double number = 0;
  std::string text;
};

struct PluginUseConfig {
  std::string plugin;  // registered name
  std::string name;    // label ("" = the plugin's name)
  std::vector<PluginParamConfig> params;
  std::string where;   // "slots[1].filters[0]"
};

struct TermConfig {
  fb::TermKind kind = fb::TermKind::Popularity;
  float weight = 1.0f;
  std::string name;                // defaults to the kind's name
  std::optional<IdRef> attribute;  // attribute / attribute_affinity
  float half_life_days = 0.0f;
  std::string where;
  std::optional<PluginUseConfig> plugin;  // kind plugin
};

struct StrategyConfig {
  std::string id;
  std::vector<TermConfig> terms;
};

// A slot's diversity stage (docs/config.md#diversity); parsed in diversity_config.cpp.
struct DiversityConfig {
  uint16_t max_per_brand = 0, max_per_category = 0;  // 0: no cap
  bool drop_over_cap = false;                        // "over_cap": "drop" (default "demote")
  uint16_t mmr_window = 0;                           // 0: no MMR
  float mmr_lambda = 1.0f;
  int32_t cap_attribute = -1;      // "max_per_attribute": {"attribute", "max"}: index in attributes
  uint16_t max_per_attribute = 0;  // (categorical, on items)
};

// A slot's per-site override (docs/tenancy.md): unset fields keep the slot's own.
struct SlotSiteOverrideConfig {
  IdRef site;
  std::optional<IdRef> strategy;
  std::optional<uint16_t> size, max_size;
  std::optional<fb::SourceKind> source;
  std::optional<IdRef> source_id;  // category or collection id of `source`
  std::string where;               // "slots[1].sites.b-fr"
};

struct SlotConfig {
  std::string id;
  IdRef strategy;
  fb::SourceKind source = fb::SourceKind::All;
  std::optional<IdRef> source_id;  // category or collection id
  uint16_t size = 10;
  uint16_t max_size = 100;
  bool in_stock_only = true;
  bool exclude_purchased = true;
  bool exclude_viewed = false;
  std::vector<uint8_t> condition;        // compiled JsonLogic (docs/targeting.md); empty: none
  std::vector<IdRef> condition_segments; // segment ids the condition names
  std::vector<PluginUseConfig> filters, stages;  // filter and stage plugins
  std::optional<DiversityConfig> diversity;
  std::vector<SlotSiteOverrideConfig> site_overrides;  // "sites": {site: {...}}, sorted by site id
};

struct NumberMatch {
  IdRef attribute;
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
};

struct MatchConfig {
  std::vector<IdRef> items, categories, brands;
  std::optional<IdRef> attribute;
  std::vector<IdRef> values;
  std::optional<NumberMatch> number;
};

struct RuleConfig {
  std::string id;
  fb::RuleAction action = fb::RuleAction::Boost;
  float amount = 0.0f;
  uint16_t position = 1;
  std::vector<IdRef> slots, sites;
  MatchConfig match;
  int64_t starts_at = 0, ends_at = 0;
  std::vector<uint8_t> condition;        // compiled JsonLogic (docs/targeting.md); empty: none
  std::vector<IdRef> condition_segments; // segment ids the condition names
};

// A visitor segment (docs/targeting.md): membership from the request's `segments` list or a
// condition compiled at config parse time (empty: listed membership only).
struct SegmentConfig {
  std::string id, name;
  std::vector<uint8_t> condition;
  std::vector<IdRef> condition_segments;  // segment ids the condition names (checked for order)
  std::string where;
  bool from_source = false;  // a segments_source record: `where` is "segments.csv:3", not a config path
};

struct DenyConfig {
  std::vector<IdRef> items;
  std::vector<std::pair<IdRef, std::vector<IdRef>>> sites;  // site -> items, sorted by site id
};

// A compliance policy as written (docs/compliance.md); checked by sync/policies.cpp.
struct PolicyConfig {
  std::string id, kind, where;  // where: "policies[2]"
  std::vector<IdRef> items, categories, segments;
  std::optional<MatchConfig> match;  // items matching it are targets too (attributes, brands, ...)
  std::vector<uint8_t> condition;         // compiled JsonLogic: the policy applies only when true
  std::vector<IdRef> condition_segments;  // segment ids the condition names
  std::vector<IdRef> only_in, never_in;  // jurisdiction codes
  uint16_t min_age = 0;
  std::string licence, purpose;
  bool consent_filter = false;
};

// B2B (docs/b2b.md): buyer roles, price lists and the accounts source; parsed in b2b_config.cpp.
struct RoleConfig {
  std::string id;
  float spending_limit = -1.0f;  // -1: none
  std::optional<IdRef> approver;
  std::string where;
};

struct PriceListConfig {
  std::string id, currency;  // currency "" = the tenant currency
  int64_t valid_from = 0, valid_to = 0;
  std::optional<IdRef> account, segment, site;  // at most one; none = tenant-wide
  SourceSpec prices;  // records: item, price, min_quantity
  std::string where;  // "price_lists[2]"
};

struct B2BConfig {
  std::string currency;                 // tenant.currency: the currency of item prices
  std::optional<SourceSpec> accounts;   // records: id, name, parent, currency, spending_limit, ...
  std::vector<RoleConfig> roles;
  std::vector<PriceListConfig> price_lists;
};

// An experiment as written (docs/experiments.md); parsed, resolved and written by
// sync/experiments_config.cpp.
struct VariationConfig {
  std::string key, where;                                   // where: "experiments[0].variations[1]"
  std::optional<IdRef> strategy;                             // replaces the slot's strategy
  std::vector<std::pair<std::string, float>> term_weights;   // term name -> weight (sorted by name)
  std::vector<IdRef> rules_off;
  std::optional<double> successes, trials;                   // bandit statistics
};

struct ExperimentConfig {
  std::string id, seed, hash_attribute, where;  // seed "" = id; hash_attribute "" = "user.id"
  std::optional<std::string> purpose;           // consent purpose; nullopt = none required
  int hash_version = 2;
  double coverage = 1;
  std::vector<double> weights;                  // empty = equal (fixed allocation)
  std::string namespace_id;                     // "" = none
  double namespace_start = 0, namespace_end = 1;
  std::vector<IdRef> slots;
  std::vector<VariationConfig> variations;
  std::optional<IdRef> forced;                  // status "stopped": the variation everyone gets
  bool stopped = false;
  uint8_t allocation = 0;                       // 0 fixed, 1 epsilon_greedy, 2 thompson
  double epsilon = 0;
  std::optional<SourceSpec> stats;              // records: variation, successes, trials
  std::vector<uint8_t> condition;               // compiled JsonLogic (docs/targeting.md); empty: none
  std::vector<IdRef> condition_segments;        // segment ids the condition names
};

struct Config {
  std::string file;  // the config's name in messages
  std::string tenant_id, tenant_name;
  std::optional<std::string> version;
  std::optional<int64_t> built_at;
  std::vector<SiteConfig> sites;
  std::optional<SourceSpec> categories, brands;
  SourceSpec items;
  std::optional<SourceSpec> inventory;  // {id, stock} merged into items (sync/inventory.cpp)
  bool inventory_ignore_unknown = false;
  std::vector<AttributeConfig> attributes;          // on items (index = Items.attributes index)
  std::vector<AttributeConfig> account_attributes;  // on accounts (Snapshot.account_attributes)
  std::vector<AttributeConfig> profile_attributes;  // on profiles (Snapshot.profile_attributes: names, types)
  EmbeddingConfig embedding;
  std::vector<CollectionConfig> collections;
  DenyConfig deny;
  std::vector<StrategyConfig> strategies;
  std::vector<SlotConfig> slots;
  std::vector<RuleConfig> rules;
  std::vector<SegmentConfig> segments;
  std::optional<SourceSpec> segments_source;  // more segments, read by the build (sync/segments_source.h)
  std::vector<PolicyConfig> policies;
  B2BConfig b2b;
  SigningConfig signing;  // checked by build, enforced by `tailor verify --config` (signing_config.h)
  std::vector<ExperimentConfig> experiments;
  std::optional<SourceSpec> site_overrides;  // records {item, site, title?, hidden?} (sync/sites.cpp)
};

constexpr size_t kMaxSites = 64;
constexpr uint16_t kMaxEmbeddingDim = 1024;

class ConfigReader;
// Reads an item matcher {items?, categories?, brands?, attribute?, values?, number?} at `path`
// (rules[i].match, policies[i].match).
void parse_match(ConfigReader& r, const nlohmann::json& m, const std::string& path, MatchConfig& out);

// Term kind <-> config name ("category_affinity").
const char* term_kind_config_name(fb::TermKind kind);

// Parses config text. `file` names it in messages; relative source paths resolve against
// `base_dir`. Returns false (with messages in `errors`) when anything is wrong. With a
// segments_source, the segment references of conditions are checked by load_segments_source
// (sync/segments_source.h) once the source is read, not here.
bool parse_config(std::string_view text, const std::string& file, const std::filesystem::path& base_dir,
                  Config& out, ErrorList& errors);

}  // namespace tailor::sync
