// Snapshot: a verified, read-in-place view of one tenant's .tsnap FlatBuffer.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tailor/snapshot_generated.h"
#include "tailor/status.h"

namespace tailor {

// The writer stamps kSchemaVersion. kEngineAbi is the C ABI version (wasm/tailor.h), which the JS
// package matches exactly; it is not what decides whether a snapshot can be read.
constexpr uint32_t kSchemaVersion = 1;
constexpr uint32_t kEngineAbi = 1;
// Snapshot feature levels (docs/architecture.md#snapshot-feature-levels). A snapshot's
// `min_engine` is the lowest level whose features it uses; this engine reads min_engine <=
// kFeatureLevel and refuses the rest (snapshot_incompatible), so a feature it does not know is
// never silently ignored. Engines built before levels existed compared min_engine with
// kEngineAbi (1): they read level 1 only.
constexpr uint32_t kFeatureLevelFoundation = 1;  // catalog, strategies, slots, rules, deny lists, site scope
constexpr uint32_t kFeatureLevelBusiness = 2;    // policies, B2B, conditions, plugins, diversity, experiments, sites
constexpr uint32_t kFeatureLevelPolicyConditions = 3;  // policy conditions, diversity caps on attributes
constexpr uint32_t kFeatureLevel = kFeatureLevelPolicyConditions;  // the highest level this engine reads
constexpr uint32_t kMissingCode = 0xFFFFFFFFu;
// Declared profile traits (Snapshot.profile_attributes), each at most once in every profile.
constexpr uint32_t kMaxProfileAttributes = 64;

struct SnapshotLimits {
  size_t max_bytes = size_t(1) << 30;  // 1 GiB
  uint32_t max_depth = 64;
  uint32_t max_tables = 4'000'000;
  uint32_t max_items = 5'000'000;
  uint32_t max_embedding_dim = 1024;
  // Check every plugin use against this binary's registry (tailor/plugin.h). `tailor build`
  // turns it off to run the same checks itself, reported at config paths.
  bool check_plugins = true;
};

class Snapshot {
 public:
  Snapshot() = default;
  // Verifies structure (FlatBuffers verifier under `limits`) and semantics (column lengths,
  // every index in range, acyclic categories). Does not copy: `bytes` must outlive the Snapshot.
  static Result<Snapshot> open(std::span<const uint8_t> bytes, const SnapshotLimits& limits = {});

  const fb::Snapshot& root() const { return *root_; }
  const fb::Items& items() const { return *root_->items(); }
  uint32_t item_count() const { return item_count_; }
  uint16_t embedding_dim() const { return embedding_dim_; }
  // Lower-case hex SHA-256 of the snapshot bytes.
  const std::string& hash() const { return hash_; }
  size_t byte_size() const { return bytes_.size(); }

  // Index lookups; -1 when absent.
  int32_t find_item(std::string_view id) const;
  int32_t find_slot(std::string_view id) const;
  int32_t find_site(std::string_view id) const;
  int32_t find_category(std::string_view id) const;
  int32_t find_brand(std::string_view id) const;
  int32_t find_attribute(std::string_view name) const;
  // Code of `value` in a categorical/tag attribute's dictionary, kMissingCode when absent.
  uint32_t find_code(int32_t attribute, std::string_view value) const;
  // True when category `c` is `ancestor` or below it.
  bool category_within(int32_t c, int32_t ancestor) const;
  // True when rule `rule`'s item matcher accepts `item`. Rule matchers depend only on the item, so
  // they are evaluated once per snapshot version into bitsets (one bit test per candidate).
  // Price lists not scoped to an account (segment / site / tenant-wide), in snapshot order.
  std::span<const int32_t> shared_price_lists() const { return shared_price_lists_; }
  bool rule_matches(uint32_t rule, uint32_t item) const {
    const uint64_t* bits = rule_bits_.data() + size_t(rule) * rule_words_;
    return (bits[item >> 6] >> (item & 63)) & 1;
  }

 private:
  Status validate(const SnapshotLimits& limits);
  bool item_matches(const fb::ItemMatch* m, uint32_t item, bool check_items) const;
  void index_rules();
  std::span<const uint8_t> bytes_;
  const fb::Snapshot* root_ = nullptr;
  uint32_t item_count_ = 0;
  uint16_t embedding_dim_ = 0;
  std::string hash_;
  std::vector<uint64_t> rule_bits_;  // rules x rule_words_ bitsets
  size_t rule_words_ = 0;
  std::vector<int32_t> shared_price_lists_;
};

inline std::string_view sv(const flatbuffers::String* s) {
  return s ? std::string_view(s->c_str(), s->size()) : std::string_view();
}

}  // namespace tailor
