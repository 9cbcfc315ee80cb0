// Compliance policies in the tenant config: parsed (shape, kinds, country codes), resolved against
// the catalog (items, categories, segments), checked for conflicts, and written to the snapshot.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <flatbuffers/flatbuffers.h>
#include <nlohmann/json.hpp>

#include "config.h"
#include "errors.h"
#include "tailor/snapshot_generated.h"

namespace tailor::sync {

class ConfigReader;
struct Catalog;

struct ResolvedPolicy {
  const PolicyConfig* config = nullptr;
  std::vector<uint32_t> items;      // sorted, unique
  std::vector<int32_t> categories;  // sorted, unique
  std::vector<int32_t> segments;
};

// The policy kinds a config may use ("jurisdiction", "min_age", "licence", "consent", "segment").
bool known_policy_kind(std::string_view kind);

// True for an officially assigned ISO 3166-1 alpha-2 code ("DE").
bool iso_country(std::string_view code);

// Reads the top-level "policies" array into `c.policies`; problems go to the reader's errors.
void parse_policies(ConfigReader& r, const nlohmann::json& root, Config& c);

// Resolves every policy's items/categories/segments and reports conflicting policies (two of one
// kind on the same item or category that cannot both hold).
// `matched[k]`: the items policy k's `match` selects (resolved by resolve()), added to its items.
void resolve_policies(const Config& c, const Catalog& catalog, std::vector<ResolvedPolicy>& out, ErrorList& errors,
                      const std::vector<std::vector<uint32_t>>& matched = {});

// The snapshot's policies vector (null offset when there are none).
flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Policy>>> write_policies(
    flatbuffers::FlatBufferBuilder& fbb, const std::vector<ResolvedPolicy>& policies);

}  // namespace tailor::sync
