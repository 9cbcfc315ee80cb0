// B2B: account hierarchy, entitlements, contract price selection and spending-limit approval.
// Everything per request is derived once (prepare_b2b) into arena memory; per item the pipeline
// asks entitled() in the hard filters and quote_price() for the k output items only.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "tailor/arena.h"
#include "tailor/json_writer.h"
#include "tailor/request.h"
#include "tailor/snapshot.h"
#include "tailor/status.h"

namespace tailor {

constexpr uint32_t kMaxAccountDepth = 32;      // levels from an account up to its root, inclusive
constexpr uint32_t kMaxQuantity = 1'000'000'000;

// Where a price came from, nearest first. Stable names in the API (price_level_name).
enum class PriceLevel : uint8_t { kAccount, kParent, kSegment, kSite, kList, kCatalog };
const char* price_level_name(PriceLevel level);

// One price list that applies to this request (valid now, in the request's currency).
struct PriceListRef {
  int32_t list;
  PriceLevel level;
  uint32_t rank;     // lower wins; lists of equal rank compete on price (lowest wins)
  int32_t account;   // the account whose list it is (account / parent levels), else -1
};

// Per-request B2B state, all spans in the request arena.
struct B2BContext {
  bool pricing = false;           // write price_source / currency / tier / needs_approval
  int32_t account = -1;           // index into Snapshot.accounts, -1 without an account
  std::span<int32_t> chain;       // account, parent, ..., root
  std::span<uint8_t> category_state;  // per category: 1 = denied, 2 = allowed (entitlements)
  int32_t allow_level = -1;       // chain position whose allow list defines the assortment
  std::string_view currency;      // the decision's currency ("" = unspecified)
  bool catalog_applies = false;   // Items.price is in `currency`
  std::span<PriceListRef> lists;  // by rank
  int32_t role = -1;              // index into Snapshot.roles
  float limit = -1;               // spending limit per line, -1 = none
  bool limit_from_account = false;
  int32_t limit_account = -1;     // account whose limit binds (limit_from_account)
  int32_t approver = -1;          // index into Snapshot.roles, -1 = unnamed
  uint32_t quantity = 1;          // the request's default quantity
};

// Test whether the request is in segment `segment` (segments come from the targeting stage).
using SegmentTest = bool (*)(const void* ctx, int32_t segment);

// Resolves the request's account, buyer, currency and applicable price lists. Errors name the
// request field ("request.account: unknown account 'x'").
Status prepare_b2b(const Snapshot& snap, const Request& req, int32_t site, int64_t now, Arena& arena,
                   B2BContext& out, SegmentTest in_segment = nullptr, const void* segment_ctx = nullptr);

// False when the request's account hierarchy does not entitle it to `item` (a hard filter).
bool entitled(const Snapshot& snap, const B2BContext& b2b, uint32_t item);
inline bool has_entitlements(const B2BContext& b2b) { return b2b.account >= 0; }

struct PriceQuote {
  bool found = false;
  float price = 0;
  PriceLevel level = PriceLevel::kCatalog;
  int32_t list = -1;             // index into Snapshot.price_lists, -1 for the catalog price
  int32_t account = -1;          // account / parent level: whose list
  uint32_t min_quantity = 0;     // the tier (list prices only)
  uint32_t quantity = 1;
  float amount = 0;              // price x quantity
  bool needs_approval = false;
};

// The price of `quantity` units of `item`: the first rank with a list pricing the item at a tier
// <= quantity wins (lowest price within a rank), else the catalog price in the tenant currency.
PriceQuote quote_price(const Snapshot& snap, const B2BContext& b2b, uint32_t item, uint32_t quantity);

// Item keys: price, currency, price_source, tier, needs_approval.
void write_price_keys(const Snapshot& snap, const B2BContext& b2b, const PriceQuote& q, JsonWriter& w);
// Explanation key "approval" (a readable reason) when the quote needs approval.
void write_approval_explain(const Snapshot& snap, const B2BContext& b2b, const PriceQuote& q, JsonWriter& w);

// Snapshot::open checks: account order, hierarchy (in range, acyclic, depth cap), entitlement
// and price list indices, sorted columns, finite non-negative prices.
Status validate_b2b(const fb::Snapshot& root, uint32_t item_count);
// Price lists not scoped to an account (segment, site, tenant-wide), for per-request selection.
std::vector<int32_t> shared_price_lists(const fb::Snapshot& root);
// Index of account `id` (accounts are sorted by id), -1 when absent.
int32_t find_account(const fb::Snapshot& root, std::string_view id);

}  // namespace tailor
