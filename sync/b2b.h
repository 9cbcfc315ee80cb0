// B2B at build time: the roles, price lists and accounts source of the config read, checked
// (unknown parents, cycles, overlapping tiers and validity windows, unknown items, negative
// prices; every error located) and turned into the snapshot's Account / PriceList / Role tables.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <flatbuffers/flatbuffers.h>
#include <nlohmann/json.hpp>

#include "catalog.h"
#include "config.h"
#include "errors.h"

namespace tailor::sync {

class ConfigReader;

constexpr uint32_t kMaxAccounts = 1'000'000;
constexpr uint32_t kMaxPriceLists = 100'000;
constexpr uint32_t kMaxRoles = 1'000;

struct B2BAccount {
  std::string id, name, currency;
  int32_t parent = -1;
  float spending_limit = -1.0f;
  int32_t approver = -1;
  std::vector<uint32_t> allow_items, deny_items;      // sorted, unique
  std::vector<int32_t> allow_categories, deny_categories;
  std::vector<int32_t> price_lists;                   // sorted
};

struct B2BRole {
  std::string id;
  float spending_limit = -1.0f;
  int32_t approver = -1;
};

struct B2BPriceList {
  std::string id, currency;
  int64_t valid_from = 0, valid_to = 0;
  int32_t account = -1, segment = -1, site = -1;
  std::vector<uint32_t> items, min_quantity;  // sorted by (item, min_quantity)
  std::vector<float> prices;
};

struct B2BData {
  std::vector<B2BAccount> accounts;  // sorted by id
  std::vector<AttributeColumn> account_attributes;  // config.account_attributes, rows = accounts
  std::vector<B2BRole> roles;        // config order
  std::vector<B2BPriceList> price_lists;  // config order
  bool empty() const { return accounts.empty() && roles.empty() && price_lists.empty(); }
};

// Config: tenant.currency, and the top-level `accounts`, `roles` and `price_lists` members.
void parse_tenant_currency(ConfigReader& r, const nlohmann::json& tenant, Config& c);
void parse_b2b_config(ConfigReader& r, const nlohmann::json& root, Config& c);

// Reads the accounts and price sources and resolves every reference. `segment_ids` are the
// snapshot's segments in index order (price lists may be scoped to one).
// `progress` sees "accounts" and "price lists" (price rows of every list, counted on).
void load_b2b(const Config& config, const Catalog& catalog, const std::vector<std::string>& segment_ids,
              B2BData& out, ErrorList& errors, const ProgressFn& progress = {});

struct B2BOffsets {
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Account>>> accounts;
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::PriceList>>> price_lists;
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Role>>> roles;
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Attribute>>> account_attributes;
};
// Writes the tables (nothing at all when `data` is empty, so snapshots without B2B keep their bytes).
B2BOffsets write_b2b(flatbuffers::FlatBufferBuilder& fbb, const Config& config, const B2BData& data);
void add_b2b(fb::SnapshotBuilder& b, const B2BOffsets& o);

}  // namespace tailor::sync
