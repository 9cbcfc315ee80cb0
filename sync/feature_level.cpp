#include "feature_level.h"

namespace tailor::sync {
namespace {

template <class V>
uint32_t len(const V* v) {
  return v ? v->size() : 0;
}

bool any_slot(const fb::Snapshot& root, bool (*pred)(const fb::Slot&)) {
  if (const auto* slots = root.slots())
    for (const fb::Slot* s : *slots)
      if (pred(*s)) return true;
  return false;
}

bool uses_conditions(const fb::Snapshot& root) {
  if (const auto* rules = root.rules())
    for (const fb::Rule* r : *rules)
      if (len(r->condition())) return true;
  if (const auto* segments = root.segments())
    for (const fb::Segment* s : *segments)
      if (len(s->condition())) return true;
  return any_slot(root, [](const fb::Slot& s) { return len(s.condition()) > 0; });
}

bool uses_plugins(const fb::Snapshot& root) {
  if (const auto* strategies = root.strategies())
    for (const fb::Strategy* st : *strategies)
      if (const auto* terms = st->terms())
        for (const fb::Term* t : *terms)
          if (t->kind() == fb::TermKind::Plugin || t->plugin()) return true;
  return any_slot(root, [](const fb::Slot& s) { return len(s.filters()) + len(s.stages()) > 0; });
}

}  // namespace

std::vector<SnapshotFeature> snapshot_features(const fb::Snapshot& root) {
  // One row per feature an engine of a lower level would ignore (fail open) if it read the
  // snapshot. Level 2 is everything after the foundation: no engine reads some of it but not
  // all, since engines before levels existed read level 1 only.
  std::vector<SnapshotFeature> out;
  auto add = [&](bool used, const char* name, uint32_t level) {
    if (used) out.push_back({name, level});
  };
  add(len(root.policies()) > 0, "policies", kFeatureLevelBusiness);
  add(len(root.accounts()) + len(root.price_lists()) + len(root.roles()) > 0, "b2b", kFeatureLevelBusiness);
  add(len(root.account_attributes()) > 0, "account_attributes", kFeatureLevelBusiness);
  add(len(root.profile_attributes()) > 0, "profile_attributes", kFeatureLevelBusiness);
  bool policy_conditions = false;
  if (const auto* policies = root.policies())
    for (const fb::Policy* p : *policies) policy_conditions = policy_conditions || len(p->condition()) > 0;
  // Level 2 engines ignore Policy.condition (the policy always applies).
  add(policy_conditions, "policy_conditions", kFeatureLevelPolicyConditions);
  // Level 2 engines ignore Diversity.cap_attribute (no cap on the attribute).
  add(any_slot(root, [](const fb::Slot& s) { return s.diversity() && s.diversity()->cap_attribute() >= 0; }),
      "diversity_attribute_caps", kFeatureLevelPolicyConditions);
  add(uses_conditions(root), "conditions", kFeatureLevelBusiness);
  add(uses_plugins(root), "plugins", kFeatureLevelBusiness);
  add(any_slot(root, [](const fb::Slot& s) { return s.diversity() != nullptr; }), "diversity", kFeatureLevelBusiness);
  add(len(root.experiments()) > 0, "experiments", kFeatureLevelBusiness);
  add(len(root.site_items()) > 0 || any_slot(root, [](const fb::Slot& s) { return len(s.site_overrides()) > 0; }),
      "site_overrides", kFeatureLevelBusiness);
  return out;
}

uint32_t required_feature_level(const fb::Snapshot& root) {
  uint32_t level = kFeatureLevelFoundation;
  for (const SnapshotFeature& f : snapshot_features(root)) level = f.level > level ? f.level : level;
  return level;
}

bool stamp_min_engine(std::vector<uint8_t>& buffer, uint32_t level) {
  auto* table = flatbuffers::GetMutableRoot<flatbuffers::Table>(buffer.data());
  return table->SetField<uint32_t>(fb::Snapshot::VT_MIN_ENGINE, level, 0);
}

}  // namespace tailor::sync
