// Resolve: the config's references (strategies, slots, rules, collections, deny lists) turned into
// snapshot indices against the catalog, with an error naming the config path of every bad one.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "b2b.h"
#include "catalog.h"
#include "config.h"
#include "experiments_config.h"
#include "policies.h"

namespace tailor::sync {

struct ResolvedTerm {
  fb::TermKind kind = fb::TermKind::Popularity;
  float weight = 1.0f;
  std::string name;
  int32_t attribute = -1;
  float half_life_days = 0.0f;
  bool personal = false;
  const PluginUseConfig* plugin = nullptr;  // kind Plugin
};

struct ResolvedStrategy {
  std::string id;
  std::vector<ResolvedTerm> terms;
};

struct ResolvedSlotOverride {
  int32_t site = -1;
  int32_t strategy = -1;  // -1: the slot's
  uint16_t size = 0, max_size = 0;  // 0: the slot's
  bool has_source = false;
  fb::SourceKind source = fb::SourceKind::All;
  int32_t source_index = -1;
};

struct ResolvedSlot {
  const SlotConfig* config = nullptr;
  int32_t strategy = -1;
  int32_t source_index = -1;
  std::vector<ResolvedSlotOverride> site_overrides;  // sorted by site index
};

// One site's item overrides (sync/sites.cpp): sorted items with a parallel title ("" = own).
struct ResolvedSiteItems {
  int32_t site = -1;
  std::vector<uint32_t> items;
  std::vector<std::string> titles;
};

struct ResolvedMatch {
  std::vector<uint32_t> items;
  std::vector<int32_t> categories, brands;
  int32_t attribute = -1;
  std::vector<uint32_t> values;
  int32_t number_attribute = -1;
  float number_min = 0, number_max = 0;
};

struct ResolvedRule {
  const RuleConfig* config = nullptr;
  std::vector<int32_t> slots, sites;
  ResolvedMatch match;
};

struct ResolvedCollection {
  std::string id;
  std::vector<uint32_t> items;
};

struct ResolvedDeny {
  int32_t site = -1;
  std::vector<uint32_t> items;  // sorted, unique
};

struct Resolved {
  std::vector<ResolvedStrategy> strategies;
  std::vector<ResolvedSlot> slots;
  std::vector<ResolvedRule> rules;
  std::vector<ResolvedCollection> collections;
  std::vector<ResolvedDeny> deny_lists;
  std::vector<ResolvedPolicy> policies;
  B2BData b2b;  // accounts, roles, price lists (filled by load_b2b)
  std::vector<ResolvedExperiment> experiments;
  std::vector<ResolvedSiteItems> site_items;  // sorted by site (filled by load_site_overrides)
};

// True for the term kinds that read the visitor's profile.
bool term_is_personal(fb::TermKind kind);

// Resolves every reference of `config` against `catalog`; problems go to `errors`.
void resolve(const Config& config, const Catalog& catalog, Resolved& out, ErrorList& errors);

}  // namespace tailor::sync
