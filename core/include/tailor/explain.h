// Names used in explanations: term kinds, rule actions and filter reasons, stable in the API.
#pragma once
#include <cstdint>

#include "tailor/snapshot.h"

namespace tailor {

const char* term_kind_name(fb::TermKind kind);
const char* rule_action_name(fb::RuleAction action);

// Hard-filter reasons, in the order they are applied and reported.
enum class FilterReason : uint8_t {
  kUnknownItem,
  kPolicy,  // a compliance policy (per policy counts in the slot's `policies`)
  kDenyList,
  kEntitlement,       // the account hierarchy's allow/deny lists (B2B)
  kRequestExclude,
  kSiteScope,
  kOutOfStock,
  kAlreadyPurchased,
  kAlreadyViewed,
  kCount
};
const char* filter_reason_name(FilterReason reason);

}  // namespace tailor
