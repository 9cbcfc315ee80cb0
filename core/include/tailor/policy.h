// Compliance policies (jurisdiction, minimum age, licence, consent purpose, segment): decided once
// per request from the request's facts, then applied per candidate as a hard filter before any
// scoring or rule, so nothing later (boost, pin, exclude, plugin) can bring an item back.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "tailor/arena.h"
#include "tailor/json_writer.h"
#include "tailor/profile.h"
#include "tailor/request.h"
#include "tailor/snapshot.h"
#include "tailor/status.h"

namespace tailor {

class Targeting;

enum class PolicyKind : uint8_t { kJurisdiction, kMinAge, kLicence, kConsent, kSegment, kUnknown };

// "jurisdiction" -> kJurisdiction; kUnknown for a name this engine does not know.
PolicyKind policy_kind(std::string_view name);

// What one policy does to the items it covers for the current request.
enum class PolicyEffect : uint8_t {
  kNone = 0,        // not in effect: the visitor satisfies it
  kFilter = 1,      // covered items are removed
  kNoProfile = 2,   // covered items are scored without profile-based terms (consent)
};

// Structural checks run by Snapshot::open: indices in range, item lists sorted.
Status validate_policies(const fb::Snapshot& root, uint32_t items, uint32_t categories);

// True for "DE" (two upper-case ASCII letters: the shape of ISO 3166-1 alpha-2).
bool is_country_code(std::string_view s);
// True for "DE-BY", "FR-75C" (ISO 3166-2 shape: country, '-', 1 to 3 upper-case letters/digits).
bool is_region_code(std::string_view s);

// Segment membership, supplied by the pipeline (nullptr: the visitor is in no segment).
using SegmentTest = bool (*)(const void* ctx, int32_t segment);

// The per-request view of every policy. Built once per request from the arena.
struct PolicyState {
  std::span<uint8_t> effect;          // per policy: a PolicyEffect
  std::span<int32_t> category_filter;  // per category: first filtering policy covering it, or -1
  std::span<int32_t> category_no_profile;  // per category: first kNoProfile policy covering it, or -1
  std::span<int32_t> item_policies;    // in-effect policies that list items, in policy order
  const int32_t* item_category = nullptr;
  bool any_filter = false;
  bool any_no_profile = false;
};

// Decides every policy's effect for this request. `profile` is the visitor's profile even
// without personalization consent (it carries the consent record); may be null. A policy with a
// targeting condition is in effect only when `targeting` finds it true; a condition that cannot be
// evaluated (error, step budget) keeps the policy in effect: fail closed (docs/compliance.md).
// Null `targeting`: conditions are not evaluated and every policy applies.
PolicyState prepare_policies(const Snapshot& snap, const Request& req, const Profile* profile, SegmentTest in_segment,
                             const void* segment_ctx, Targeting* targeting, Arena& arena);

// The first policy (by index) in effect with `effect` that covers `item`, or -1.
int32_t policy_covering(const PolicyState& ps, const Snapshot& snap, uint32_t item, PolicyEffect effect);

// A slot's "policies" member: every policy in effect for the request, in snapshot order, with
// how many candidates it removed (and, for consent policies, how many it scored without profile
// terms). Written only when the snapshot has policies.
void write_policies(JsonWriter& w, const Snapshot& snap, const PolicyState& ps, std::span<const uint32_t> removed,
                    std::span<const uint32_t> profile_off);

}  // namespace tailor
